using Microsoft.Extensions.Logging;
using Npgsql;

namespace Paju.Field.Server.Database;

/// <summary>
/// The database a command works on: the server named by a connection string, or else the
/// private cluster under the data folder (started here if needed, stopped on dispose if so).
/// </summary>
public sealed class DatabaseSession : IAsyncDisposable
{
    private DatabaseSession(string connectionString, PrivateCluster? cluster)
    {
        ConnectionString = connectionString;
        Cluster = cluster;
    }

    public string ConnectionString { get; }

    /// <summary>The private cluster, when no connection string was configured.</summary>
    public PrivateCluster? Cluster { get; }

    public string Description => Cluster is null
        ? $"PostgreSQL at {Describe(ConnectionString)}"
        : $"private PostgreSQL cluster at 127.0.0.1:{Cluster.Port} (data {Cluster.PgData})";

    public static async Task<DatabaseSession> OpenAsync(
        string? connectionString, string dataDirectory, ILogger log, bool migrate = true, CancellationToken ct = default)
    {
        PrivateCluster? cluster = null;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            cluster = await PrivateCluster.StartOrReuseAsync(dataDirectory, log, ct);
            connectionString = cluster.ConnectionString();
        }
        var session = new DatabaseSession(connectionString, cluster);
        try
        {
            if (migrate)
            {
                await Migrator.MigrateAsync(connectionString, log, ct);
            }
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>One data source for the whole process, with PostGIS geometry mapped to NetTopologySuite.</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // What the server's short statements need, set per session so a DBA's defaults cannot undo it:
        // JIT compiles a plan in ~10 ms, a loss for a 1 ms page; starting parallel workers costs more than
        // a short query on a few cores, and a parallel ST_AsMVT repeats its key table per worker, so the same
        // data would give tiles of different bytes (and ETags).
        builder.ConnectionStringBuilder.Options = $"{builder.ConnectionStringBuilder.Options} -c jit=off -c max_parallel_workers_per_gather=0".Trim();
        // Below PostgreSQL's default max_connections (100), leaving room for other processes (ingest workers,
        // commands); requests beyond it wait for a connection instead of being refused by the server.
        if (!connectionString.Contains("pool size", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxPoolSize = 40;
        }
        builder.UseNetTopologySuite();
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>A connection string without its password, for logs.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{b.Host}:{b.Port}/{b.Database} as {b.Username}";
    }
}
