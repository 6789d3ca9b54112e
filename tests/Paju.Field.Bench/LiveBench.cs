using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Database;
using Paju.Field.Telemetry;

namespace Paju.Field.Bench;

/// <summary>
/// The live feed under a storm's load: devices publish at a fixed total rate (open loop, QoS 1) into
/// the embedded broker while signed-in SSE clients follow /api/live. Latency is from the reading's
/// timestamp (stamped by the device as it publishes) to the moment a client has the state event
/// carrying it; every client must receive every event the log stored during the run.
/// </summary>
public static class LiveBench
{
    public sealed record Options(int Clients, int Rate, int Devices, TimeSpan Duration, string? ConnectionString, string DataDirectory, string ReportFile);

    private sealed class Client(int index)
    {
        public int Index { get; } = index;
        public List<long> Ids { get; } = [];
        public List<double> LatencyMs { get; } = [];
        public long LastId;
    }

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_live");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        var secrets = await IngestBench.RegisterDevicesAsync(db, options.Devices);
        string token;
        await using (var conn = await db.OpenConnectionAsync())
        {
            var user = await UserStore.CreateAsync(conn, null, "bench.operator", "벤치 상황실", Roles.Operator, "bench-operator-password", default);
            token = (await ApiTokens.IssueAsync(conn, null, user.Id, "bench", TimeSpan.FromHours(2), default)).Token;
        }

        var port = IngestBench.FreePort();
        await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-live"),
            extra: new() { ["Paju:Mqtt:Embedded"] = "true", ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{port}" });

        using var stop = new CancellationTokenSource();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients + 8 })
        {
            BaseAddress = server.Address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var startId = await ScalarAsync(db, "SELECT coalesce(max(id), 0) FROM live_event");
        var clients = Enumerable.Range(0, options.Clients).Select(i => new Client(i)).ToArray();
        var connected = new CountdownEvent(options.Clients);
        var readers = clients.Select(c => Task.Run(() => FollowAsync(http, c, startId, connected, stop.Token))).ToArray();
        if (!connected.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("SSE clients did not connect within 60 s");
        }
        Console.WriteLine($"{options.Clients} SSE clients following /api/live");

        var published = await PublishAsync(port, secrets, options.Rate, options.Duration);
        var endId = await ScalarAsync(db, "SELECT coalesce(max(id), 0) FROM live_event");
        var drained = Stopwatch.StartNew();
        while (clients.Any(c => Volatile.Read(ref c.LastId) < endId) && drained.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { })));

        long[] stored;
        await using (var cmd = db.CreateCommand("SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM live_event WHERE id > $1 AND id <= $2"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = startId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = endId });
            stored = (long[])(await cmd.ExecuteScalarAsync())!;
        }
        var storedReadings = await ScalarAsync(db, "SELECT count(*) FROM telemetry");
        var lost = clients.Sum(c => (long)stored.Except(c.Ids).Count());
        var duplicated = clients.Sum(c => (long)(c.Ids.Count - c.Ids.Distinct().Count()));
        var latency = new Samples("ingest→client");
        foreach (var c in clients)
        {
            c.LatencyMs.ForEach(latency.Add);
        }
        var eventsPerSecond = stored.Length / options.Duration.TotalSeconds;
        Console.WriteLine($"  {stored.Length:N0} events stored, {lost} lost, p50 {latency.Percentile(50):F0} ms, p95 {latency.Percentile(95):F0} ms, p99 {latency.Percentile(99):F0} ms");

        var markdown = $"""
            ## Live feed: {options.Clients} SSE clients at {options.Rate:N0} msg/s

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench live` — {options.Devices} MQTT 5 devices publishing QoS 1 at {options.Rate:N0} msg/s in total (open loop) into the
              embedded broker for {options.Duration.TotalSeconds:F0} s, while {options.Clients} signed-in clients follow `/api/live`; run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.
              Server, broker, PostgreSQL, devices and clients share the machine's {Environment.ProcessorCount} cores.
            - Latency is from the reading's timestamp, stamped by the device as it publishes, to a client holding the `state` event that carries it
              (broker → ingest batch → commit with the event → NOTIFY → the client's read of the log → SSE).
            - Lost: events in the log between the first and last id of the run that a client did not receive, summed over clients.

            | figure | value |
            |---|---|
            | readings published / stored | {published:N0} / {storedReadings:N0} |
            | state events stored (per second) | {stored.Length:N0} ({eventsPerSecond:N0}/s) |
            | device readings delivered to clients | {latency.Count:N0} |
            | p50 / p95 / p99 ingest→client | {latency.Percentile(50):F0} / {latency.Percentile(95):F0} / {latency.Percentile(99):F0} ms |
            | max ingest→client | {latency.Values.Max():F0} ms |
            | events lost (all clients) | {lost} |
            | events received twice | {duplicated} |

            Goals: p95 ≤ 1 s — **{(latency.Percentile(95) <= 1000 ? "met" : "not met")}** ({latency.Percentile(95):F0} ms); events lost 0 — **{(lost == 0 ? "met" : "NOT MET")}**.
            """;
        Report.WriteSection(options.ReportFile, "live", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return lost == 0 ? 0 : 1;
    }

    /// <summary>One EventSource: records every event id and, per device entry of a state event, its age on arrival.</summary>
    private static async Task FollowAsync(HttpClient http, Client client, long startId, CountdownEvent connected, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live");
        request.Headers.Add("Last-Event-ID", startId.ToString());
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        connected.Signal();
        long id = 0;
        var type = "message";
        var data = new StringBuilder();
        try
        {
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        var arrived = DateTimeOffset.UtcNow;
                        client.Ids.Add(id);
                        if (type == "state")
                        {
                            using var json = JsonDocument.Parse(data.ToString());
                            foreach (var device in json.RootElement.GetProperty("devices").EnumerateArray())
                            {
                                client.LatencyMs.Add((arrived - device.GetProperty("ts").GetDateTimeOffset()).TotalMilliseconds);
                            }
                        }
                        Volatile.Write(ref client.LastId, id);
                    }
                    data.Clear();
                    type = "message";
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = long.Parse(line.AsSpan(4));
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(line.AsSpan(6));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Each device publishes on its own fixed schedule; together they make the requested rate.</summary>
    private static async Task<long> PublishAsync(int port, Dictionary<string, string> secrets, int rate, TimeSpan duration)
    {
        var devices = secrets.Keys.ToArray();
        var clients = await IngestBench.ConnectDevicesAsync(port, secrets);
        var interval = TimeSpan.FromSeconds(devices.Length / (double)rate);
        Console.WriteLine($"{devices.Length} devices publishing every {interval.TotalMilliseconds:F0} ms ({rate:N0} msg/s) for {duration.TotalSeconds:F0} s");
        var sent = new ConcurrentBag<long>();
        var started = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, devices.Length).Select(async i =>
        {
            // Spread the devices over the interval so the load is even, not 100 at once.
            var offset = interval * i / devices.Length;
            var topic = TelemetryTopic.For(IngestBench.SiteOf(devices[i]), devices[i], TelemetryTopic.Telemetry);
            long seq = 0;
            for (var next = offset; next < duration; next += interval)
            {
                var wait = next - started.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }
                var reading = new TelemetryReading(devices[i], 42, seq, DateTimeOffset.UtcNow, false,
                    new Dictionary<string, double> { ["basin_level_m"] = 3 + seq % 100 / 100.0, ["inflow_m3_per_h"] = 12_500 + seq },
                    new Dictionary<string, bool> { ["pump1_running"] = seq % 2 == 0 });
                var result = await clients[i].PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(reading.ToJson())
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                if (!result.IsSuccess)
                {
                    throw new InvalidOperationException($"{devices[i]}: {result.ReasonCode}");
                }
                seq++;
            }
            sent.Add(seq);
        }));
        foreach (var client in clients)
        {
            await client.DisconnectAsync();
            client.Dispose();
        }
        return sent.Sum();
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
