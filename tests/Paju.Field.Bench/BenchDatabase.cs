using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Database;

namespace Paju.Field.Bench;

/// <summary>
/// A fresh, migrated database per benchmark dataset: in the private cluster under a bench data
/// folder (default), or on a server given with --db (a role that may CREATE DATABASE).
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly DatabaseSession _session;

    private BenchDatabase(DatabaseSession session) => _session = session;

    public static async Task<BenchDatabase> OpenAsync(string? connectionString, string dataDirectory) =>
        new(await DatabaseSession.OpenAsync(connectionString, dataDirectory, NullLogger.Instance, migrate: false));

    public string Description => _session.Description;

    public async Task<string> CreateAsync(string name)
    {
        var admin = new NpgsqlConnectionStringBuilder(_session.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(_session.ConnectionString) { Database = name }.ConnectionString;
        await Migrator.MigrateAsync(connectionString, NullLogger.Instance);
        return connectionString;
    }

    public async Task<string> ServerVersionAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("SELECT 'PostgreSQL ' || current_setting('server_version') || ', PostGIS ' || postgis_lib_version()");
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
