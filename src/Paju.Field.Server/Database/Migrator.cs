using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Paju.Field.Server.Database;

public sealed record Migration(int Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Numbered SQL files (Migrations/NNNN_name.sql), applied in order, each in its own transaction,
/// recorded in schema_migration. Safe to re-run and safe to run from two processes at once
/// (an advisory lock serialises them). A file changed after it was applied is refused rather
/// than silently ignored, because the database would no longer match the code.
/// </summary>
public static class Migrator
{
    private const long AdvisoryLockKey = 0x50414A55_4D494752; // "PAJUMIGR"

    public static IReadOnlyList<Migration> All { get; } = Load();

    public static int LatestVersion => All[^1].Version;

    private static List<Migration> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)))
        {
            var fileName = resource["migrations/".Length..^".sql".Length];
            var separator = fileName.IndexOf('_');
            var version = int.Parse(fileName[..separator]);
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            migrations.Add(new Migration(version, fileName[(separator + 1)..], reader.ReadToEnd()));
        }
        return [.. migrations.OrderBy(m => m.Version)];
    }

    /// <returns>How many migrations were applied now.</returns>
    public static async Task<int> MigrateAsync(string connectionString, ILogger log, CancellationToken ct = default)
    {
        // A plain connection: the data source with PostGIS types is built after PostGIS exists.
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        await conn.ExecuteAsync(null, "SELECT pg_advisory_lock($1)", ct, AdvisoryLockKey);
        try
        {
            await conn.ExecuteAsync(null, """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, ct);
            var applied = await AppliedAsync(conn, ct);
            CheckAppliedMatchCode(applied);

            var count = 0;
            foreach (var migration in All.Where(m => !applied.ContainsKey(m.Version)))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                try
                {
                    await conn.ExecuteAsync(tx, migration.Sql, ct);
                    await conn.ExecuteAsync(tx, "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)", ct,
                        migration.Version, migration.Name, migration.Checksum);
                    await tx.CommitAsync(ct);
                }
                catch (PostgresException e)
                {
                    throw new PajuSetupException(
                        $"Migration {migration.Version:D4}_{migration.Name} failed and was rolled back: {e.MessageText}" +
                        (e.Position > 0 ? $" (at character {e.Position})" : ""), e);
                }
                log.LogInformation("Applied migration {Version:D4}_{Name}", migration.Version, migration.Name);
                count++;
            }
            return count;
        }
        finally
        {
            await conn.ExecuteAsync(null, "SELECT pg_advisory_unlock($1)", CancellationToken.None, AdvisoryLockKey);
        }
    }

    public static async Task<int> CurrentVersionAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT coalesce(max(version), 0) FROM schema_migration", conn);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static void CheckAppliedMatchCode(Dictionary<int, string> applied)
    {
        foreach (var (version, checksum) in applied)
        {
            var known = All.FirstOrDefault(m => m.Version == version);
            if (known is null)
            {
                throw new PajuSetupException(
                    $"The database has schema version {version}, newer than this program knows ({LatestVersion}). " +
                    "Run a newer paju, or restore a backup made by this version.");
            }
            if (known.Checksum != checksum)
            {
                throw new PajuSetupException(
                    $"Migration {version:D4}_{known.Name} was changed after it was applied to this database. " +
                    "Migrations are append-only: add a new numbered file instead of editing an applied one.");
            }
        }
    }

    private static async Task<Dictionary<int, string>> AppliedAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var applied = new Dictionary<int, string>();
        await using var cmd = new NpgsqlCommand("SELECT version, checksum FROM schema_migration", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }
        return applied;
    }
}
