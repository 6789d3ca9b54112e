using Npgsql;
using Paju.Field.Server.Database;

namespace Paju.Field.Tests.Harness;

/// <summary>A class fixture: this test class's own database, cloned from the migrated template.</summary>
public sealed class TestDatabase(PostgisServer server) : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public PostgisServer Server => server;

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync();
        DataSource = DatabaseSession.CreateDataSource(ConnectionString);
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<int> ExecuteAsync(string sql, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }
        return await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await server.DropDatabaseAsync(ConnectionString);
    }
}
