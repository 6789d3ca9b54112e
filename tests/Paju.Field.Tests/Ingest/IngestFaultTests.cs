using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Devices;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>
/// Faults during a stream: whatever crashes, every acknowledged reading is stored exactly once, and
/// the device, resending what was not acknowledged, gets everything in.
/// </summary>
public sealed class IngestFaultTests(PostgisServer server)
{
    private const string Site = "ulgok-ps1";
    private const string Device = "fault-plc";
    private const int Readings = 300;

    private static async Task<string> AddDeviceAsync(NpgsqlDataSource db) => (await TestDevices.AddAsync(db, Device, Site)).Secret;

    private static async Task AssertStoredExactlyOnceAsync(NpgsqlDataSource db, ReliablePublisher publisher, long boot)
    {
        Assert.Equal(Readings, publisher.Acknowledged.Count);
        await using var cmd = db.CreateCommand("""
            SELECT array_agg(t.seq ORDER BY t.seq) FROM telemetry t JOIN device d ON d.id = t.device
            WHERE d.device_id = $1 AND t.boot = $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Device });
        cmd.Parameters.Add(new NpgsqlParameter { Value = boot });
        var stored = (long[])(await cmd.ExecuteScalarAsync())!;
        Assert.Equal(Enumerable.Range(0, Readings).Select(i => (long)i), stored);   // every one, once, none extra
    }

    [Fact]
    public async Task a_The_host_with_the_embedded_broker_killed_mid_stream()
    {
        await using var db = new TestDatabase(server);
        await db.InitializeAsync();
        var secret = await AddDeviceAsync(db.DataSource);
        var (http, mqtt) = (MqttDevice.FreePort(), MqttDevice.FreePort());
        var data = TempDirectory.Create("paju-fault-a-");
        var host = await ServerProcess.StartAsync(db.ConnectionString, http, mqtt, data);
        var publisher = new ReliablePublisher(() => mqtt, Site, Device, secret, boot: 3001);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var run = publisher.RunAsync(Readings, TimeSpan.FromMilliseconds(3), cts.Token);

        await publisher.WaitForAcknowledgedAsync(100);
        host.Kill9();
        await host.DisposeAsync();
        await using var restarted = await ServerProcess.StartAsync(db.ConnectionString, http, mqtt, data);
        await run;

        Assert.True(publisher.Reconnects > 0);
        await AssertStoredExactlyOnceAsync(db.DataSource, publisher, 3001);
    }

    [Fact]
    public async Task c_PostgreSQL_stopped_and_restarted_mid_stream()
    {
        // A cluster of this test's own: stopping the shared one would stop every other test.
        var root = TempDirectory.Create("paju-fault-c-");
        var cluster = await PrivateCluster.StartOrReuseAsync(root, NullLogger.Instance);
        try
        {
            await Migrator.MigrateAsync(cluster.ConnectionString(), NullLogger.Instance);
            await using var db = DatabaseSession.CreateDataSource(cluster.ConnectionString());
            var secret = await AddDeviceAsync(db);
            var mqtt = MqttDevice.FreePort();
            await using var host = await TestServer.StartAsync(cluster.ConnectionString(), new Dictionary<string, string?>
            {
                ["Paju:Mqtt:Embedded"] = "true",
                ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{mqtt}",
            });
            var publisher = new ReliablePublisher(() => mqtt, Site, Device, secret, boot: 3003);
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var run = publisher.RunAsync(Readings, TimeSpan.FromMilliseconds(3), cts.Token);

            await publisher.WaitForAcknowledgedAsync(100);
            await cluster.StopAsync();
            // What committed just before the stop is acknowledged a moment after it (a batch may be in flight); from then on
            // nothing can be acknowledged while the database is down.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var acknowledgedWhileDown = publisher.Acknowledged.Count;
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(acknowledgedWhileDown, publisher.Acknowledged.Count);
            cluster = await PrivateCluster.StartOrReuseAsync(root, NullLogger.Instance);
            await run;

            // The test's own pool still holds connections from before the restart.
            await using var fresh = DatabaseSession.CreateDataSource(cluster.ConnectionString());
            await AssertStoredExactlyOnceAsync(fresh, publisher, 3003);
        }
        finally
        {
            await cluster.StopAsync();
        }
    }
}

/// <summary>Faults in external mode: an ingest worker killed, and mosquitto restarted.</summary>
public sealed class ExternalIngestFaultTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    private const int Readings = 300;

    [Fact]
    public async Task b_An_ingest_process_killed_mid_stream()
    {
        var (site, secret) = mosquitto.Devices["ps1-plc"];
        var publisher = new ReliablePublisher(() => mosquitto.Broker.Port, site, "ps1-plc", secret, boot: 3002);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var run = publisher.RunAsync(Readings, TimeSpan.FromMilliseconds(3), cts.Token);

        await publisher.WaitForAcknowledgedAsync(100);
        mosquitto.Workers[0].Kill9();
        await Task.Delay(TimeSpan.FromSeconds(1));
        // Back with the same client id: mosquitto hands it the session, with what it never acknowledged.
        mosquitto.Workers[0] = mosquitto.StartWorker("ingest-a");
        await run;

        await MosquittoChecks.AssertAllStoredOnceAsync(mosquitto, publisher, Readings, "ps1-plc", 3002);
    }
}

/// <summary>
/// mosquitto restarted mid-stream, with persistence, in front of the exclusive worker. (mosquitto 2.0
/// does not restore shared subscriptions from persistence: a shared group loses what devices publish
/// between the restart and the workers' return, hence MqttOptions.Subscription.)
/// </summary>
public sealed class MosquittoRestartTests(ExclusiveMosquittoFixture mosquitto) : IClassFixture<ExclusiveMosquittoFixture>
{
    private const int Readings = 300;

    [Fact]
    public async Task d_Mosquitto_restarted_with_persistence_mid_stream()
    {
        var (site, secret) = mosquitto.Devices["ps2-plc"];
        var publisher = new ReliablePublisher(() => mosquitto.Broker.Port, site, "ps2-plc", secret, boot: 3004);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var run = publisher.RunAsync(Readings, TimeSpan.FromMilliseconds(3), cts.Token);

        await publisher.WaitForAcknowledgedAsync(100);
        await mosquitto.Broker.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await mosquitto.Broker.StartAsync();
        await run;

        Assert.True(publisher.Reconnects > 0);
        await MosquittoChecks.AssertAllStoredOnceAsync(mosquitto, publisher, Readings, "ps2-plc", 3004);
    }
}

/// <summary>Every reading a device had acknowledged reached the table, once each, in external mode.</summary>
public static class MosquittoChecks
{
    public static async Task AssertAllStoredOnceAsync(MosquittoFixture mosquitto, ReliablePublisher publisher, int readings, string device, long boot)
    {
        Assert.Equal(readings, publisher.Acknowledged.Count);
        var rows = await mosquitto.WaitForRowsAsync(
            "SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1 AND t.boot = $2", readings, device, boot);
        if (rows != readings)
        {
            // The log is read once: mosquitto may still be writing to it, and a second read would be longer than the first.
            var log = mosquitto.Broker.Log;
            Assert.Fail($"{rows} of {readings} stored.\n{string.Join("\n----\n", mosquitto.Workers.Select(w => w.Output))}\n---- mosquitto\n{log[^Math.Min(6000, log.Length)..]}");
        }
        await using var cmd = mosquitto.Db.DataSource.CreateCommand("""
            SELECT array_agg(t.seq ORDER BY t.seq) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1 AND t.boot = $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = device });
        cmd.Parameters.Add(new NpgsqlParameter { Value = boot });
        Assert.Equal(Enumerable.Range(0, readings).Select(i => (long)i), (long[])(await cmd.ExecuteScalarAsync())!);
    }
}

/// <summary>Two partitioned workers, the sites split between them by the stable hash.</summary>
public sealed class PartitionedMosquittoFixture(PostgisServer server) : MosquittoFixture(server)
{
    // Chosen so that each partition of two holds one (SitePartitionTests pins the hash).
    public const string SiteOfWorker1 = "ulgok-ps1";
    public const string SiteOfWorker2 = "ulgok-ps2";

    protected override IReadOnlyList<(string Device, string Site)> DevicePlan => [("ps1-plc", SiteOfWorker1), ("ps2-plc", SiteOfWorker2)];

    protected override IReadOnlyList<(string ClientId, string Subscription)> WorkerPlan =>
        [("ingest-p1", "partitioned:1/2"), ("ingest-p2", "partitioned:2/2")];
}

/// <summary>
/// mosquitto restarted mid-stream in front of two partitioned workers: each worker's persistent session
/// holds plain per-site subscriptions, which mosquitto restores and queues for, so nothing acknowledged is lost.
/// </summary>
public sealed class PartitionedRestartTests(PartitionedMosquittoFixture mosquitto) : IClassFixture<PartitionedMosquittoFixture>
{
    private const int Readings = 300;

    [Fact]
    public async Task e_Mosquitto_restarted_mid_stream_under_two_partitioned_workers()
    {
        var publishers = new[] { "ps1-plc", "ps2-plc" }.Select(device =>
        {
            var (site, secret) = mosquitto.Devices[device];
            return (Device: device, Publisher: new ReliablePublisher(() => mosquitto.Broker.Port, site, device, secret, boot: 3005));
        }).ToList();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var runs = publishers.Select(p => p.Publisher.RunAsync(Readings, TimeSpan.FromMilliseconds(3), cts.Token)).ToList();

        await Task.WhenAll(publishers.Select(p => p.Publisher.WaitForAcknowledgedAsync(100)));
        await mosquitto.Broker.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await mosquitto.Broker.StartAsync();
        await Task.WhenAll(runs);

        foreach (var (device, publisher) in publishers)
        {
            await MosquittoChecks.AssertAllStoredOnceAsync(mosquitto, publisher, Readings, device, 3005);
        }
        // Each worker stored its own site's readings: the work was divided, not duplicated.
        Assert.All(mosquitto.Workers, w => Assert.True(w.StoredSoFar > 0, w.Output));
        Assert.Contains(PartitionedMosquittoFixture.SiteOfWorker1, mosquitto.Workers[0].Output);
        Assert.Contains(PartitionedMosquittoFixture.SiteOfWorker2, mosquitto.Workers[1].Output);
    }
}

public sealed class SitePartitionTests
{
    [Fact]
    public void The_partition_of_a_site_is_a_stable_hash_the_same_on_every_machine()
    {
        Assert.Equal(1, Paju.Field.Server.Ingest.SitePartition.Of(PartitionedMosquittoFixture.SiteOfWorker1, 2));
        Assert.Equal(2, Paju.Field.Server.Ingest.SitePartition.Of(PartitionedMosquittoFixture.SiteOfWorker2, 2));
        var counts = Enumerable.Range(0, 1000).Select(i => Paju.Field.Server.Ingest.SitePartition.Of($"site-{i}", 4)).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([1, 2, 3, 4], counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 200, 300));   // roughly even
    }
}
