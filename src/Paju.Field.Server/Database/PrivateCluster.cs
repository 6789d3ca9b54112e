using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Paju.Field.Server.Database;

/// <summary>
/// The embedded default: a PostgreSQL + PostGIS cluster of our own under the data folder,
/// listening on a free loopback port, so a newcomer needs no database administrator.
/// It is created on first use, reused while running (by another paju process, say), restarted
/// after a crash (a stale postmaster.pid is recognised and removed), and stopped on exit only
/// by the process that started it. Production never comes here: it passes a connection string.
/// </summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    public const string DatabaseName = "paju";
    private const string SuperUser = "postgres";
    private const string PostgresAccount = "postgres";

    private readonly PostgresBinaries _binaries;
    private readonly ILogger _log;
    private readonly string? _runAs;
    private bool _stopped;

    private PrivateCluster(string dataRoot, string clusterDirectory, PostgresBinaries binaries, ILogger log)
    {
        DataRoot = dataRoot;
        ClusterDirectory = clusterDirectory;
        _binaries = binaries;
        _log = log;
        _runAs = ProcessRunner.IsRoot ? PostgresAccount : null;
    }

    /// <summary>The folder given by --data.</summary>
    public string DataRoot { get; }

    /// <summary>Where the cluster lives: DataRoot/pg, or a reachable place when root's postgres account cannot enter DataRoot.</summary>
    public string ClusterDirectory { get; }

    public string PgData => Path.Combine(ClusterDirectory, "data");

    public string LogFile => Path.Combine(ClusterDirectory, "postgresql.log");

    public int Port { get; private set; }

    /// <summary>True when this process started the server and so must stop it.</summary>
    public bool StartedHere { get; private set; }

    private string PasswordFile => Path.Combine(DataRoot, "db-password");

    public string ConnectionString(string database = DatabaseName) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Password = File.ReadAllText(PasswordFile).Trim(),
        Database = database,
        IncludeErrorDetail = true,
    }.ConnectionString;

    public static async Task<PrivateCluster> StartOrReuseAsync(string dataRoot, ILogger log, CancellationToken ct = default)
    {
        dataRoot = Path.GetFullPath(dataRoot);
        Directory.CreateDirectory(dataRoot);
        var binaries = PostgresBinaries.Find();

        // Two paju commands started together must not both run initdb or pg_ctl start.
        await using var clusterLock = await FileLock.AcquireAsync(Path.Combine(dataRoot, "cluster.lock"), log, ct);

        var clusterDirectory = await ChooseClusterDirectoryAsync(dataRoot, log, ct);
        var cluster = new PrivateCluster(dataRoot, clusterDirectory, binaries, log);
        await cluster.InitialiseIfNewAsync(ct);
        if (!await cluster.TryReuseRunningAsync(ct))
        {
            await cluster.StartAsync(ct);
        }
        await cluster.EnsureDatabaseAsync(ct);
        return cluster;
    }

    /// <summary>
    /// As root, the server runs as the postgres account, which must be able to reach the cluster
    /// folder. Under a 0700 home (/root) it cannot; rather than fail the one-command demo we keep
    /// the cluster under /var/lib/paju-field, say exactly why in the log, and leave a note in --data.
    /// </summary>
    private static async Task<string> ChooseClusterDirectoryAsync(string dataRoot, ILogger log, CancellationToken ct)
    {
        var preferred = Path.Combine(dataRoot, "pg");
        Directory.CreateDirectory(preferred);
        if (!ProcessRunner.IsRoot)
        {
            return preferred;
        }

        await ChownToPostgresAsync(preferred, ct);
        if (await PostgresCanWriteAsync(preferred, ct))
        {
            return preferred;
        }

        var blocking = await FindBlockingDirectoryAsync(preferred, ct);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataRoot)))[..12];
        var fallback = Path.Combine("/var/lib/paju-field/clusters", hash);
        Directory.CreateDirectory(fallback);
        await ChownToPostgresAsync(fallback, ct);
        var why =
            $"PostgreSQL refuses to run as root, so it runs as the '{PostgresAccount}' account, which cannot enter " +
            $"{blocking} (mode {ModeOf(blocking)}, owner root). The database cluster for {dataRoot} is kept in " +
            $"{fallback} instead. To keep it inside --data, choose a --data folder the '{PostgresAccount}' account can " +
            $"reach, or allow it through with: chmod o+x {blocking}";
        log.LogWarning("{Why}", why);
        try { Directory.Delete(preferred); } catch (IOException) { /* not empty: leave it for the person to look at */ }
        await File.WriteAllTextAsync(Path.Combine(dataRoot, "CLUSTER-LOCATION.txt"), why + Environment.NewLine, ct);
        return fallback;
    }

    private static async Task ChownToPostgresAsync(string directory, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync("chown", [$"{PostgresAccount}:{PostgresAccount}", directory], ct: ct);
        if (!result.Succeeded)
        {
            throw new PajuSetupException(
                $"Could not give {directory} to the '{PostgresAccount}' account: {result.Explanation}. " +
                $"Is PostgreSQL installed? {PostgresBinaries.InstallHint}");
        }
    }

    private static async Task<bool> PostgresCanWriteAsync(string directory, CancellationToken ct) =>
        (await ProcessRunner.RunAsync("test", ["-w", directory, "-a", "-x", directory], PostgresAccount, ct: ct)).Succeeded;

    private static async Task<string> FindBlockingDirectoryAsync(string directory, CancellationToken ct)
    {
        var chain = new List<string>();
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            chain.Insert(0, dir.FullName);
        }
        foreach (var dir in chain)
        {
            if (!(await ProcessRunner.RunAsync("test", ["-x", dir], PostgresAccount, ct: ct)).Succeeded)
            {
                return dir;
            }
        }
        return directory;
    }

    private static string ModeOf(string path) =>
        Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8).PadLeft(4, '0');

    private async Task InitialiseIfNewAsync(CancellationToken ct)
    {
        if (File.Exists(Path.Combine(PgData, "PG_VERSION")))
        {
            return;
        }
        if (Directory.Exists(PgData))
        {
            // A half-made cluster from an interrupted initdb: start it again from nothing.
            Directory.Delete(PgData, recursive: true);
        }

        _log.LogInformation("Creating a private PostgreSQL {Version} cluster in {PgData}", _binaries.MajorVersion, PgData);
        if (!File.Exists(PasswordFile))
        {
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('/', '_').Replace('+', '-');
            await File.WriteAllTextAsync(PasswordFile, password, ct);
            File.SetUnixFileMode(PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // initdb reads the password from a file the server's account can read; it is removed right after.
        var pwFile = Path.Combine(ClusterDirectory, ".initdb-password");
        await File.WriteAllTextAsync(pwFile, await File.ReadAllTextAsync(PasswordFile, ct), ct);
        try
        {
            if (_runAs is not null)
            {
                await ChownToPostgresAsync(pwFile, ct);
            }
            var result = await ProcessRunner.RunAsync(_binaries.Tool("initdb"),
            [
                "-D", PgData, "-U", SuperUser, "--pwfile", pwFile, "-A", "scram-sha-256",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            ], _runAs, ct: ct);
            if (!result.Succeeded)
            {
                throw new PajuSetupException($"initdb failed for {PgData}: {result.Explanation}");
            }
        }
        finally
        {
            File.Delete(pwFile);
        }

        // Loopback only; no Unix socket, whose path length limit deep data folders would exceed.
        const string settings = """

            # Added by paju: a private cluster reachable only from this machine.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            timezone = 'UTC'
            jit = off
            log_timezone = 'Asia/Seoul'
            """;
        var conf = Path.Combine(PgData, "postgresql.conf");
        await AppendAsServerAccountAsync(conf, settings, ct);
    }

    /// <summary>Appends as the file's owner, which keeps its ownership right without a chown afterwards.</summary>
    private async Task AppendAsServerAccountAsync(string file, string text, CancellationToken ct)
    {
        var tmp = Path.Combine(Path.GetTempPath(), $"paju-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(tmp, text, ct);
        try
        {
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var result = await ProcessRunner.RunAsync("sh", ["-c", "cat \"$0\" >> \"$1\"", tmp, file], _runAs, ct: ct);
            if (!result.Succeeded)
            {
                throw new PajuSetupException($"Could not write the cluster settings to {file}: {result.Explanation}");
            }
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private async Task<bool> TryReuseRunningAsync(CancellationToken ct)
    {
        var pidFile = PostmasterPidFile.Read(PgData);
        if (pidFile is null)
        {
            return false;
        }
        if (pidFile.BelongsToLiveServerOf(PgData))
        {
            Port = pidFile.Port;
            _log.LogInformation("Using the private PostgreSQL cluster already running on 127.0.0.1:{Port} (pid {Pid})", Port, pidFile.Pid);
            await WaitUntilAcceptingAsync(ct);
            return true;
        }
        // The server died without cleaning up (kill -9, power cut) and its pid may now be someone else's.
        _log.LogWarning("Removing the stale {File} left by PostgreSQL pid {Pid}, which is no longer running", PostmasterPidFile.Name, pidFile.Pid);
        await RemoveStalePidFileAsync(ct);
        return false;
    }

    private async Task RemoveStalePidFileAsync(CancellationToken ct)
    {
        var path = Path.Combine(PgData, PostmasterPidFile.Name);
        var result = await ProcessRunner.RunAsync("rm", ["-f", path], _runAs, ct: ct);
        if (!result.Succeeded)
        {
            throw new PajuSetupException($"Could not remove the stale {path}: {result.Explanation}");
        }
    }

    private async Task StartAsync(CancellationToken ct)
    {
        const int attempts = 10;
        for (var attempt = 1; ; attempt++)
        {
            Port = ChoosePort();
            var result = await ProcessRunner.RunAsync(_binaries.Tool("pg_ctl"),
                ["-D", PgData, "-l", LogFile, "-w", "-t", "60", "-o", $"-p {Port} {ClusterSettings.ServerOptions()}", "start"], _runAs, ct: ct);
            if (result.Succeeded)
            {
                StartedHere = true;
                await File.WriteAllTextAsync(Path.Combine(DataRoot, "db-port"), Port.ToString(), ct);
                _log.LogInformation("Started the private PostgreSQL cluster on 127.0.0.1:{Port} (data {PgData}, log {Log}; sized for this machine: {Settings})",
                    Port, PgData, LogFile, ClusterSettings.ServerOptions());
                return;
            }

            // After a kill -9 the old server's children can hold shared memory or the port for a moment.
            var logTail = ReadLogTail();
            if (attempt == attempts)
            {
                throw new PajuSetupException(
                    $"PostgreSQL did not start from {PgData}: {result.Explanation}{Environment.NewLine}{logTail}");
            }
            _log.LogWarning("PostgreSQL did not start on port {Port} (attempt {Attempt} of {Attempts}); retrying. {Reason}",
                Port, attempt, attempts, LastLine(logTail));
            if (PostmasterPidFile.Read(PgData) is { } pid && !pid.BelongsToLiveServerOf(PgData))
            {
                await RemoveStalePidFileAsync(ct);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), ct);
        }
    }

    /// <summary>The last port, when still free, so psql bookmarks keep working; otherwise any free one.</summary>
    private int ChoosePort()
    {
        var portFile = Path.Combine(DataRoot, "db-port");
        if (File.Exists(portFile) && int.TryParse(File.ReadAllText(portFile), out var previous) && IsFree(previous))
        {
            return previous;
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task WaitUntilAcceptingAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false;Timeout=5");
                await conn.OpenAsync(ct);
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, ct);
            }
        }
    }

    private async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        await WaitUntilAcceptingAsync(ct);
        await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn)
        {
            Parameters = { new() { Value = DatabaseName } },
        };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", conn);
            await create.ExecuteNonQueryAsync(ct);
            _log.LogInformation("Created database {Database}", DatabaseName);
        }
    }

    public async Task StopAsync(CancellationToken ct = default)
    {
        if (!StartedHere || _stopped)
        {
            return;
        }
        _stopped = true;
        NpgsqlConnection.ClearAllPools();
        var result = await ProcessRunner.RunAsync(_binaries.Tool("pg_ctl"),
            ["-D", PgData, "-m", "fast", "-w", "-t", "60", "stop"], _runAs, ct: ct);
        if (result.Succeeded)
        {
            _log.LogInformation("Stopped the private PostgreSQL cluster on 127.0.0.1:{Port}", Port);
        }
        else
        {
            _log.LogError("Could not stop the private PostgreSQL cluster in {PgData}: {Reason}", PgData, result.Explanation);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private string ReadLogTail()
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(8));
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
}
