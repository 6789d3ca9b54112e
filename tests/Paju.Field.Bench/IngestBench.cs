using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Devices;
using Paju.Field.Telemetry;

namespace Paju.Field.Bench;

/// <summary>
/// Telemetry ingest under load: N devices publishing QoS 1 as fast as they are acknowledged, for a
/// fixed time, everything on this machine (broker, ingest, PostgreSQL, load generator). Embedded
/// mode acknowledges after commit, so publish→PUBACK is publish→commit. Beside it, in the same run,
/// the same load against a bare MQTTnet broker with no database (the ceiling), and for the record
/// the external mode: mosquitto with two `paju ingest` processes on a shared subscription.
/// </summary>
public static class IngestBench
{
    public sealed record Options(int Devices, TimeSpan Duration, bool External, string? ConnectionString, string DataDirectory, string ReportFile);

    private sealed record LoadResult(long Acknowledged, TimeSpan Elapsed, Samples Latency, long[] AckedPerDevice, double CpuPercent);

    internal const string Site = "bench";
    private const long Boot = 42;

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_ingest");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        var secrets = await RegisterDevicesAsync(db, options.Devices);

        // 1. Embedded broker with ingest: PUBACK after commit.
        var port = FreePort();
        LoadResult embedded;
        long stored;
        await using (var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-ingest"),
                         extra: new() { ["Paju:Mqtt:Embedded"] = "true", ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{port}" }))
        {
            embedded = await LoadAsync(port, secrets, options.Duration, "embedded broker + ingest");
            stored = await CountAsync(db, "SELECT count(*) FROM telemetry");
        }
        var lost = await LostAsync(db, secrets.Keys.ToArray(), embedded.AckedPerDevice);
        Console.WriteLine($"  stored {stored:N0}, acknowledged {embedded.Acknowledged:N0}, lost {lost}");

        // 2. The same load against a bare MQTTnet broker: no interception, no database.
        var barePort = FreePort();
        LoadResult bare;
        using (var bareServer = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
                   .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(barePort).Build()))
        {
            await bareServer.StartAsync();
            bare = await LoadAsync(barePort, secrets, options.Duration, "bare MQTTnet broker (no database)");
            await bareServer.StopAsync();
        }

        // 3. For the record: mosquitto and two ingest processes.
        string external = "not run (pass --external)";
        if (options.External)
        {
            external = await ExternalAsync(connectionString, db, secrets, options);
        }

        var committedRate = embedded.Acknowledged / embedded.Elapsed.TotalSeconds;
        var ceiling = bare.Acknowledged / bare.Elapsed.TotalSeconds;
        var markdown = $"""
            ## Telemetry ingest: {options.Devices} devices, QoS 1

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench ingest{(options.External ? " --external" : "")}` — {options.Devices} MQTT 5 clients in one process, each publishing a
              {SamplePayloadBytes} B reading and waiting for its PUBACK before the next, for {options.Duration.TotalSeconds:F0} s; run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.
              Broker, ingest, PostgreSQL and the load generator share the machine's {Environment.ProcessorCount} cores.
            - Embedded mode sends each PUBACK only after the message's batch committed, so publish→PUBACK is publish→commit.

            | run | msgs/s | p50 publish→ack | p99 publish→ack | machine CPU | loss |
            |---|---|---|---|---|---|
            | embedded broker + ingest (committed) | {committedRate:N0} | {embedded.Latency.Percentile(50):F1} ms | {embedded.Latency.Percentile(99):F1} ms | {embedded.CpuPercent:F0}% | {lost} of {embedded.Acknowledged:N0} acknowledged ({stored:N0} rows) |
            | bare MQTTnet broker, no database (ceiling) | {ceiling:N0} | {bare.Latency.Percentile(50):F1} ms | {bare.Latency.Percentile(99):F1} ms | {bare.CpuPercent:F0}% | — |
            | ratio committed / ceiling | {committedRate / ceiling:P0} | | | | |

            Goals: ≥ 10,000 msg/s committed — **{(committedRate >= 10_000 ? "met" : "not met")}** ({committedRate:N0});
            p99 ≤ 500 ms — **{(embedded.Latency.Percentile(99) <= 500 ? "met" : "not met")}**; zero loss — **{(lost == 0 ? "met" : "NOT MET")}**;
            stretch ≥ 50% of the ceiling — **{(committedRate / ceiling >= 0.5 ? "met" : "not met")}**.

            External mode (mosquitto, two `paju ingest` processes on a shared subscription): {external}
            """;
        Report.WriteSection(options.ReportFile, "ingest", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return lost == 0 ? 0 : 1;
    }

    private static int SamplePayloadBytes => Reading("bench-00000", 0).ToJson().Length;

    private static TelemetryReading Reading(string device, long seq) => new(device, Boot, seq, DateTimeOffset.UtcNow, false,
        new Dictionary<string, double> { ["basin_level_m"] = 3.42, ["inflow_m3_per_h"] = 12_500, ["pump1_current_a"] = 112.5, ["rain_mm_per_h"] = 35 },
        new Dictionary<string, bool> { ["pump1_running"] = true, ["pump1_fault"] = false });

    internal static async Task<Dictionary<string, string>> RegisterDevicesAsync(NpgsqlDataSource db, int count)
    {
        var secrets = new Dictionary<string, string>();
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        for (var i = 0; i < count; i++)
        {
            var id = $"bench-{i:D5}";
            secrets[id] = (await DeviceStore.AddAsync(conn, tx, id, Site, DeviceStore.DeviceRole, null, null, Actor.System("bench"), default)).Secret;
        }
        await tx.CommitAsync();
        return secrets;
    }

    /// <summary>Every device publishes, waits for its PUBACK, publishes the next — closed loop — until the time is up.</summary>
    private static async Task<LoadResult> LoadAsync(int port, Dictionary<string, string> secrets, TimeSpan duration, string label)
    {
        var devices = secrets.Keys.ToArray();
        var clients = await ConnectDevicesAsync(port, secrets);
        Console.WriteLine($"{label}: {devices.Length} devices connected; publishing for {duration.TotalSeconds:F0} s");

        var acked = new long[devices.Length];
        var latencies = new List<double>[devices.Length];
        var cpuBefore = CpuTimes();
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, devices.Length).Select(async i =>
        {
            latencies[i] = [];
            var topic = TelemetryTopic.For(Site, devices[i], TelemetryTopic.Telemetry);
            while (stopwatch.Elapsed < duration)
            {
                var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Reading(devices[i], acked[i]).ToJson())
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                var started = Stopwatch.GetTimestamp();
                var result = await clients[i].PublishAsync(message);
                if (!result.IsSuccess)
                {
                    throw new InvalidOperationException($"{devices[i]}: {result.ReasonCode}");
                }
                latencies[i].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                acked[i]++;
            }
        }));
        var elapsed = stopwatch.Elapsed;
        var cpu = CpuPercent(cpuBefore, CpuTimes());
        foreach (var client in clients)
        {
            await client.DisconnectAsync();
            client.Dispose();
        }
        var samples = new Samples(label);
        foreach (var list in latencies)
        {
            list.ForEach(samples.Add);
        }
        Console.WriteLine($"  {acked.Sum() / elapsed.TotalSeconds:N0} msgs/s acknowledged, p50 {samples.Percentile(50):F1} ms, p99 {samples.Percentile(99):F1} ms, CPU {cpu:F0}%");
        return new LoadResult(acked.Sum(), elapsed, samples, acked, cpu);
    }

    /// <summary>One MQTT 5 session per device, in the order of <c>secrets.Keys</c>, 16 connecting at a time.</summary>
    internal static async Task<IMqttClient[]> ConnectDevicesAsync(int port, Dictionary<string, string> secrets)
    {
        var devices = secrets.Keys.ToArray();
        var clients = new IMqttClient[devices.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, devices.Length), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var client = new MqttClientFactory().CreateMqttClient();
            await client.ConnectAsync(new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", port).WithClientId(devices[i]).WithCredentials(devices[i], secrets[devices[i]])
                .WithProtocolVersion(MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(60)).Build(), ct);
            clients[i] = client;
        });
        return clients;
    }

    /// <summary>Acknowledged readings (seq below each device's acknowledged count) missing from the table.</summary>
    private static async Task<long> LostAsync(NpgsqlDataSource db, string[] devices, long[] acked)
    {
        await using var cmd = db.CreateCommand("""
            SELECT coalesce(sum(a.acked - coalesce(s.stored, 0)), 0)::bigint
            FROM unnest($1::text[], $2::bigint[]) AS a(device_id, acked)
            JOIN device d ON d.device_id = a.device_id
            LEFT JOIN LATERAL (SELECT count(*) AS stored FROM telemetry t WHERE t.device = d.id AND t.boot = 42 AND t.seq < a.acked) s ON true
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = devices });
        cmd.Parameters.Add(new NpgsqlParameter { Value = acked });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<string> ExternalAsync(string connectionString, NpgsqlDataSource db, Dictionary<string, string> secrets, Options options)
    {
        await using (var clear = db.CreateCommand("TRUNCATE telemetry, latest_metric"))
        {
            await clear.ExecuteNonQueryAsync();
        }
        string ingestSecret;
        await using (var conn = await db.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            ingestSecret = (await DeviceStore.AddAsync(conn, tx, "bench-ingest", "server", DeviceStore.IngestRole, null, null, Actor.System("bench"), default)).Secret;
            await tx.CommitAsync();
        }
        var dir = Directory.CreateTempSubdirectory("paju-bench-mosquitto-").FullName;
        var port = FreePort();
        await using (var conn = await db.OpenConnectionAsync())
        {
            var devices = await DeviceStore.ListAsync(conn, default);
            await File.WriteAllTextAsync(Path.Combine(dir, "passwords"), BrokerConfig.PasswordFile(devices));
            await File.WriteAllTextAsync(Path.Combine(dir, "acl"), BrokerConfig.AclFile(devices));
            await File.WriteAllTextAsync(Path.Combine(dir, "mosquitto.conf"),
                BrokerConfig.MosquittoConf(dir, port, persistence: false) + "\nlog_dest none\n" + (Environment.IsPrivilegedProcess ? "user root\n" : ""));
        }
        // Output is not redirected: an unread pipe fills up and blocks the process writing to it.
        using var mosquitto = Process.Start(new ProcessStartInfo("mosquitto", ["-c", Path.Combine(dir, "mosquitto.conf")]))!;
        await WaitForPortAsync(port);
        var workers = new[] { "bench-ingest-a", "bench-ingest-b" }.Select(id =>
        {
            var start = new ProcessStartInfo("dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "paju.dll"), "ingest", "--db", connectionString, "--data", options.DataDirectory,
                "--broker", $"127.0.0.1:{port}", "--user", "bench-ingest", "--client-id", id,
            ]);
            start.Environment["Paju__Mqtt__Password"] = ingestSecret;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            return Process.Start(start)!;
        }).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(5));   // workers connect and subscribe

        var load = await LoadAsync(port, secrets, options.Duration, "mosquitto + 2 × paju ingest");
        var drainStarted = Stopwatch.StartNew();
        long rows;
        while ((rows = await CountAsync(db, "SELECT count(*) FROM telemetry")) < load.Acknowledged && drainStarted.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(200);
        }
        var total = load.Elapsed + drainStarted.Elapsed;
        foreach (var worker in workers)
        {
            worker.Kill(entireProcessTree: true);
        }
        mosquitto.Kill();
        var lost = await LostAsync(db, secrets.Keys.ToArray(), load.AckedPerDevice);
        var drained = rows >= load.Acknowledged
            ? $"all {rows:N0} committed {drainStarted.Elapsed.TotalSeconds:F1} s after the load stopped, i.e. {rows / total.TotalSeconds:N0} msgs/s committed end to end; {lost} lost."
            : $"**only {rows:N0} of them committed 90 s after the load stopped** ({rows / total.TotalSeconds:N0} msgs/s so far): " +
              $"{load.Acknowledged - rows:N0} acknowledged messages had not reached PostGIS when the workers were stopped; {lost} lost.";
        return $"{load.Acknowledged:N0} messages acknowledged by mosquitto at {load.Acknowledged / load.Elapsed.TotalSeconds:N0} msgs/s " +
               $"(p99 publish→PUBACK {load.Latency.Percentile(99):F1} ms, before commit); " + drained;
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException($"nothing listens on {port}");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static (long Busy, long Total) CpuTimes()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4];
        var total = fields.Sum();
        return (total - idle, total);
    }

    internal static double CpuPercent((long Busy, long Total) before, (long Busy, long Total) after) =>
        100.0 * (after.Busy - before.Busy) / Math.Max(1, after.Total - before.Total);
}
