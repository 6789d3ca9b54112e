using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Database;
using Testcontainers.PostgreSql;

[assembly: AssemblyFixture(typeof(Paju.Field.Tests.Harness.PostgisServer))]

namespace Paju.Field.Tests.Harness;

/// <summary>
/// One PostGIS server for the whole test run, with a template database migrated once; every
/// test class clones its own database from it (STRATEGY FILE_COPY, ≈ 0.1 s), so no test sees
/// another's rows and none depends on order.
/// </summary>
public sealed class PostgisServer : IAsyncLifetime
{
    private const string TemplateName = "paju_template";
    private static int _databaseCounter;

    private PrivateCluster? _cluster;
    private PostgreSqlContainer? _container;
    private string _adminConnectionString = "";
    private string _root = "";

    public PostgisBackendKind Kind { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(PostgisBackend.ExternalVariable);
        _container = string.IsNullOrWhiteSpace(external) ? PostgisBackend.TryBuildContainer() : null;
        Kind = PostgisBackend.Choose(external, _container is not null);
        switch (Kind)
        {
            case PostgisBackendKind.ExternalServer:
                _adminConnectionString = external!;
                break;
            case PostgisBackendKind.Testcontainers:
                await _container!.StartAsync();
                _adminConnectionString = _container.GetConnectionString();
                break;
            default:
                if (PostgresBinaries.TryFind() is null)
                {
                    throw new InvalidOperationException(
                        "The tests need PostgreSQL with PostGIS: " + PostgresBinaries.InstallHint + " (./paju test installs it).");
                }
                _root = TempDirectory.Create("paju-tests-");
                _cluster = await PrivateCluster.StartOrReuseAsync(_root, NullLogger.Instance);
                _adminConnectionString = _cluster.ConnectionString("postgres");
                break;
        }
        _adminConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Pooling = false }.ConnectionString;

        await ExecuteAsync($"DROP DATABASE IF EXISTS {TemplateName}");
        await ExecuteAsync($"CREATE DATABASE {TemplateName}");
        await Migrator.MigrateAsync(ConnectionStringFor(TemplateName), NullLogger.Instance);
    }

    /// <summary>A fresh database with the current schema and no rows, for one test class.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        await ExecuteAsync($"CREATE DATABASE {name} TEMPLATE {TemplateName} STRATEGY FILE_COPY");
        return ConnectionStringFor(name);
    }

    /// <summary>A database with no schema at all, for migration tests.</summary>
    public async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = $"e{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        await ExecuteAsync($"CREATE DATABASE {name}");
        return ConnectionStringFor(name);
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = database, Pooling = true }.ConnectionString;

    private async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(_adminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
