using Microsoft.Extensions.Logging;
using Npgsql;

namespace Paju.Field.Server.Database;

/// <summary>
/// Backups are pg_dump's custom format: compressed, restorable object by object, and readable
/// by any pg_restore of the same or newer version. A restore runs in one transaction, so a
/// broken file leaves the database as it was.
/// </summary>
public static class BackupRestore
{
    public static async Task BackupAsync(string connectionString, string file, ILogger log, CancellationToken ct)
    {
        var (tool, env) = Tool("pg_dump", connectionString);
        var target = Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + ".partial";
        var result = await ProcessRunner.RunAsync(tool,
            ["--format=custom", "--no-owner", "--file", partial, "--dbname", LibpqConnectionString(connectionString)],
            environment: env, ct: ct);
        if (!result.Succeeded)
        {
            File.Delete(partial);
            throw new PajuSetupException($"pg_dump failed: {result.Explanation}");
        }
        // Only a complete dump takes the name: a crash mid-dump never leaves a file that looks like a backup.
        File.Move(partial, target, overwrite: true);
        log.LogInformation("Backed up {Database} to {File} ({Bytes:N0} bytes)", DatabaseSession.Describe(connectionString), target, new FileInfo(target).Length);
    }

    public static async Task RestoreAsync(string connectionString, string file, ILogger log, CancellationToken ct)
    {
        var source = Path.GetFullPath(file);
        if (!File.Exists(source))
        {
            throw new PajuSetupException($"No backup file at {source}.");
        }
        var (tool, env) = Tool("pg_restore", connectionString);
        NpgsqlConnection.ClearAllPools();
        var result = await ProcessRunner.RunAsync(tool,
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
             "--dbname", LibpqConnectionString(connectionString), source],
            environment: env, ct: ct);
        if (!result.Succeeded)
        {
            throw new PajuSetupException($"pg_restore failed; the database was left as it was. {result.Explanation}");
        }
        log.LogInformation("Restored {Database} from {File}", DatabaseSession.Describe(connectionString), source);
    }

    /// <summary>The server's own tools when the private cluster's version is installed, else whatever is on PATH.</summary>
    private static (string Tool, Dictionary<string, string> Env) Tool(string name, string connectionString)
    {
        var binaries = PostgresBinaries.TryFind();
        var tool = binaries is not null ? binaries.Tool(name) : name;
        var password = new NpgsqlConnectionStringBuilder(connectionString).Password;
        var env = new Dictionary<string, string>();
        if (!string.IsNullOrEmpty(password))
        {
            // Passed in the environment so it never shows in a process list.
            env["PGPASSWORD"] = password;
        }
        return (tool, env);
    }

    private static string LibpqConnectionString(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        static string Quote(string v) => "'" + v.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
        var parts = new List<string>
        {
            $"host={Quote(b.Host ?? "127.0.0.1")}",
            $"port={b.Port}",
            $"dbname={Quote(b.Database ?? "postgres")}",
        };
        if (!string.IsNullOrEmpty(b.Username))
        {
            parts.Add($"user={Quote(b.Username)}");
        }
        if (b.SslMode is SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull)
        {
            parts.Add($"sslmode={b.SslMode.ToString().ToLowerInvariant().Replace("verifyca", "verify-ca").Replace("verifyfull", "verify-full")}");
        }
        return string.Join(' ', parts);
    }
}
