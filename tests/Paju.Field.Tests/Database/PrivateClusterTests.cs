using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Database;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Database;

/// <summary>
/// The embedded default's lifecycle: create, reuse, stop, recover after a crash; as root (through
/// the postgres account) and as a normal user.
/// </summary>
public sealed class PrivateClusterTests : IAsyncLifetime
{
    private readonly string _root = TempDirectory.Create("paju-cluster-");
    private readonly List<PrivateCluster> _started = [];

    public ValueTask InitializeAsync()
    {
        if (PostgresBinaries.TryFind() is null)
        {
            Requires.Missing("PostgreSQL with PostGIS is not installed (" + PostgresBinaries.InstallHint + ")");
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cluster in _started)
        {
            await cluster.StopAsync();
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private async Task<PrivateCluster> StartAsync(string dataDirectory)
    {
        var cluster = await PrivateCluster.StartOrReuseAsync(dataDirectory, NullLogger.Instance, TestContext.Current.CancellationToken);
        _started.Add(cluster);
        return cluster;
    }

    [Fact]
    public async Task The_cluster_is_sized_for_the_machine_it_starts_on()
    {
        var cluster = await StartAsync(Path.Combine(_root, "sized"));
        var expected = ClusterSettings.For(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        foreach (var (name, value) in expected)
        {
            // As PostgreSQL reports it: the same quantity, in its own unit (2048MB shows as 2GB).
            var shown = await ScalarAsync<string>(cluster.ConnectionString(), $"SELECT pg_size_bytes(current_setting('{name}'))::text");
            var wanted = await ScalarAsync<string>(cluster.ConnectionString(), $"SELECT pg_size_bytes('{value}')::text");
            Assert.True(shown == wanted, $"{name}: {shown}, wanted {wanted}");
        }
    }

    [Theory]
    [InlineData(24L << 30, "2048MB", "13312MB", "32MB")]   // a server: buffers capped at 2 GB, most of the rest to the OS cache
    [InlineData(2L << 30, "512MB", "1280MB", "16MB")]      // a small VM: a quarter
    [InlineData(256L << 20, "128MB", "320MB", "16MB")]     // less than 512 MB is taken as 512 MB: never below PostgreSQL's default
    public void Buffers_take_a_quarter_of_the_memory_within_bounds(long memory, string buffers, string cache, string workMem)
    {
        var settings = ClusterSettings.For(memory).ToDictionary(s => s.Name, s => s.Value);
        Assert.Equal(buffers, settings["shared_buffers"]);
        Assert.Equal(cache, settings["effective_cache_size"]);
        Assert.Equal(workMem, settings["work_mem"]);
    }

    [Fact]
    public async Task A_cluster_is_created_then_reused_while_running_and_stopped_only_by_its_starter()
    {
        var data = Path.Combine(_root, "reuse");
        var first = await StartAsync(data);
        Assert.True(first.StartedHere);
        Assert.Equal(Path.Combine(data, "pg"), first.ClusterDirectory);
        Assert.True(File.Exists(Path.Combine(first.PgData, "PG_VERSION")));

        var second = await StartAsync(data);
        Assert.False(second.StartedHere);
        Assert.Equal(first.Port, second.Port);
        Assert.Equal("paju", await ScalarAsync<string>(second.ConnectionString(), "SELECT current_database()"));

        await second.StopAsync();   // not its server: must leave it running
        Assert.Equal(1, await ScalarAsync<int>(first.ConnectionString(), "SELECT 1"));

        await first.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(first.ConnectionString() + ";Timeout=3", "SELECT 1"));
        Assert.Null(PostmasterPidFile.Read(first.PgData));
    }

    [Fact]
    public async Task After_kill_9_the_stale_pid_is_recognised_and_the_data_survives()
    {
        var data = Path.Combine(_root, "crash");
        var cluster = await StartAsync(data);
        await ExecuteAsync(cluster.ConnectionString(), "CREATE TABLE survivor (n int); INSERT INTO survivor VALUES (42)");
        var pid = PostmasterPidFile.Read(cluster.PgData)!.Pid;

        using (var postmaster = Process.GetProcessById(pid))
        {
            postmaster.Kill();   // SIGKILL: no clean shutdown, postmaster.pid stays behind
            await postmaster.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        NpgsqlConnection.ClearAllPools();
        Assert.NotNull(PostmasterPidFile.Read(cluster.PgData));

        var restarted = await StartAsync(data);

        Assert.True(restarted.StartedHere);
        Assert.Equal(42, await ScalarAsync<int>(restarted.ConnectionString(), "SELECT n FROM survivor"));
    }

    [Fact]
    public async Task A_pid_file_naming_some_other_live_process_is_treated_as_stale()
    {
        var data = Path.Combine(_root, "reused-pid");
        var cluster = await StartAsync(data);
        var port = cluster.Port;
        await cluster.StopAsync();

        using var stranger = Process.Start("sleep", "120");
        try
        {
            // What a crash leaves when the old pid has since been given to an unrelated process.
            var pidFile = Path.Combine(cluster.PgData, PostmasterPidFile.Name);
            await File.WriteAllTextAsync(pidFile, $"{stranger.Id}\n{cluster.PgData}\n1700000000\n{port}\n\n127.0.0.1\n  1234   5678\nready   \n",
                TestContext.Current.CancellationToken);

            var restarted = await StartAsync(data);

            Assert.True(restarted.StartedHere);
            Assert.Equal(1, await ScalarAsync<int>(restarted.ConnectionString(), "SELECT 1"));
            Assert.False(stranger.HasExited, "the unrelated process must be left alone");
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public async Task PostGIS_can_be_created_in_the_private_cluster()
    {
        var cluster = await StartAsync(Path.Combine(_root, "postgis"));
        await ExecuteAsync(cluster.ConnectionString(), "CREATE EXTENSION IF NOT EXISTS postgis");
        Assert.StartsWith("3.", await ScalarAsync<string>(cluster.ConnectionString(), "SELECT postgis_lib_version()"));
    }

    [Fact]
    public async Task As_root_a_data_folder_the_postgres_account_cannot_reach_gets_its_cluster_elsewhere_with_the_reason()
    {
        Requires.Root("it checks how root hands the cluster to the postgres account");
        var locked = Path.Combine(_root, "locked-home");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);   // 0700, like /root
        var data = Path.Combine(locked, "paju-data");

        var cluster = await StartAsync(data);
        try
        {
            Assert.StartsWith("/var/lib/paju-field/clusters/", cluster.ClusterDirectory);
            var note = await File.ReadAllTextAsync(Path.Combine(data, "CLUSTER-LOCATION.txt"), TestContext.Current.CancellationToken);
            Assert.Contains(locked, note);
            Assert.Contains("0700", note);
            Assert.Equal(1, await ScalarAsync<int>(cluster.ConnectionString(), "SELECT 1"));
        }
        finally
        {
            await cluster.StopAsync();
            Directory.Delete(cluster.ClusterDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task As_root_the_cluster_runs_as_the_postgres_account()
    {
        Requires.Root("it checks how root hands the cluster to the postgres account");
        var cluster = await StartAsync(Path.Combine(_root, "as-root"));
        Assert.Equal("postgres", await ScalarAsync<string>(cluster.ConnectionString(), "SELECT current_user"));
        var pid = PostmasterPidFile.Read(cluster.PgData)!.Pid;
        var owner = (await File.ReadAllLinesAsync($"/proc/{pid}/status", TestContext.Current.CancellationToken))
            .Single(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.NotEqual("0", owner);
    }

    [Fact]
    public async Task A_normal_user_runs_the_cluster_directly()
    {
        Requires.Root("it switches to an unprivileged account to run paju as a normal user");
        var home = Path.Combine(_root, "normal-user");
        Directory.CreateDirectory(home);
        await ProcessRunner.RunAsync("chown", ["postgres:postgres", home]);
        var data = Path.Combine(home, "data");

        var result = await PajuCli.RunAsync(["db", "migrate", "--data", data], runAs: "postgres",
            environment: new Dictionary<string, string> { ["HOME"] = home, ["DOTNET_CLI_HOME"] = home },
            ct: TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.StandardOutput + result.StandardError);
        Assert.Contains("마이그레이션", result.StandardOutput);
        Assert.True(File.Exists(Path.Combine(data, "pg", "data", "PG_VERSION")));
        Assert.Contains("Stopped the private PostgreSQL cluster", result.StandardOutput + result.StandardError);
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
