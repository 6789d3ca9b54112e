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

    private sealed record Round(string Label, long Published, long StoredReadings, int Events, long Lost, long Duplicated, Samples Latency, double CpuPercent, int Resets);

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

        var rounds = new List<Round>
        {
            await RoundAsync(db, connectionString, secrets, token, options, "hub", stalledClient: false),
            await RoundAsync(db, connectionString, secrets, token, options, "hub", stalledClient: true),
            await RoundAsync(db, connectionString, secrets, token, options, "per-client", stalledClient: false),
        };
        var (hub, stalled, perClient) = (rounds[0], rounds[1], rounds[2]);
        var rows = string.Join("\n", rounds.Select(r =>
            $"| {r.Label} | {r.Published:N0} / {r.StoredReadings:N0} | {r.Events:N0} | {r.Latency.Percentile(50):F0} / {r.Latency.Percentile(95):F0} / {r.Latency.Percentile(99):F0} ms | " +
            $"{(r.Latency.Count > 0 ? r.Latency.Values.Max() : 0):F0} ms | {r.CpuPercent:F0}% | {r.Lost} | {r.Duplicated} |"));
        var markdown = $"""
            ## Live feed: {options.Clients} SSE clients at {options.Rate:N0} msg/s

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench live` — {options.Devices} MQTT 5 devices publishing QoS 1 at {options.Rate:N0} msg/s in total (open loop) into the
              embedded broker for {options.Duration.TotalSeconds:F0} s, while {options.Clients} signed-in clients follow `/api/live`; run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.
              Server, broker, PostgreSQL, devices and clients share the machine's {Environment.ProcessorCount} cores. Three rounds, each on a fresh server:
              the hub (one reader of the log fans out to every client); the hub with one more client that never reads (it is cut off with `reset` past
              its buffer — 10 events here, with a small receive window — and is not counted); the former design, every client reading the log itself.
            - Latency is from the reading's timestamp, stamped by the device as it publishes, to a client holding the `state` event that carries it
              (broker → ingest batch → commit → the newest values' write with the event, at most every 250 ms → NOTIFY → the log read → SSE).
            - Lost: events in the log between the first and last id of the round that a client did not receive, summed over clients.

            | round | readings published / stored | state events | p50 / p95 / p99 ingest→client | max | machine CPU | lost | twice |
            |---|---|---|---|---|---|---|---|
            {rows}

            The stalled client got `reset`: **{(stalled.Resets > 0 ? "yes" : "no")}**; the others' p95 with it {stalled.Latency.Percentile(95):F0} ms against {hub.Latency.Percentile(95):F0} ms without.
            Goals: p95 ≤ 1 s — **{(hub.Latency.Percentile(95) <= 1000 ? "met" : "not met")}** ({hub.Latency.Percentile(95):F0} ms); events lost or duplicated 0 —
            **{(hub.Lost + hub.Duplicated + stalled.Lost + stalled.Duplicated == 0 ? "met" : "NOT MET")}**; per-client reads for comparison: p95 {perClient.Latency.Percentile(95):F0} ms at {perClient.CpuPercent:F0}% CPU.
            """;
        Report.WriteSection(options.ReportFile, "live", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return hub.Lost + stalled.Lost == 0 ? 0 : 1;
    }

    /// <summary>
    /// A connection whose receive window stays small. A client that never reads otherwise holds megabytes in the two
    /// sockets' buffers (the server's grows to tcp_wmem's maximum) before the server's own buffer for it fills: a round's
    /// events would all fit there.
    /// </summary>
    private static async ValueTask<Stream> SmallWindowConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
        {
            ReceiveBufferSize = 4096,
            NoDelay = true,
        };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Round> RoundAsync(NpgsqlDataSource db, string connectionString, Dictionary<string, string> secrets, string token, Options options,
        string fanOut, bool stalledClient)
    {
        var label = fanOut == "hub" ? (stalledClient ? "hub + 1 stalled client" : "hub (one reader)") : "per-client reads (former)";
        await using (var clear = db.CreateCommand("TRUNCATE telemetry, latest_metric"))
        {
            await clear.ExecuteNonQueryAsync();
        }
        var port = IngestBench.FreePort();
        await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-live"),
            // A 10-event buffer (the default is 2,000) so the stalled client runs out within the round: the newest values are
            // written every 250 ms, so a round has about 240 events.
            extra: new()
            {
                ["Paju:Mqtt:Embedded"] = "true", ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{port}", ["Paju:Live:FanOut"] = fanOut,
                ["Paju:Live:ClientBufferEvents"] = "10",
            });

        using var stop = new CancellationTokenSource();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients + 8 })
        {
            BaseAddress = server.Address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var startId = await ScalarAsync(db, "SELECT coalesce(max(id), 0) FROM live_event");
        HttpResponseMessage? stalled = null;
        using var stalledHttp = new HttpClient(new SocketsHttpHandler { ConnectCallback = SmallWindowConnectAsync })
        {
            BaseAddress = server.Address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (stalledClient)
        {
            // Opens the stream and never reads it: its socket fills, then its buffer on the server.
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live");
            request.Headers.Add("Last-Event-ID", startId.ToString());
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            stalled = await stalledHttp.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }
        var clients = Enumerable.Range(0, options.Clients).Select(i => new Client(i)).ToArray();
        var connected = new CountdownEvent(options.Clients);
        var readers = clients.Select(c => Task.Run(() => FollowAsync(http, c, startId, connected, stop.Token))).ToArray();
        if (!connected.Wait(TimeSpan.FromSeconds(120)))
        {
            throw new TimeoutException("SSE clients did not connect within 120 s");
        }
        Console.WriteLine($"{label}: {options.Clients} SSE clients following /api/live");

        var cpuBefore = IngestBench.CpuTimes();
        var published = await PublishAsync(port, secrets, options.Rate, options.Duration);
        var cpu = IngestBench.CpuPercent(cpuBefore, IngestBench.CpuTimes());
        var endId = await ScalarAsync(db, "SELECT coalesce(max(id), 0) FROM live_event");
        var drained = Stopwatch.StartNew();
        while (clients.Any(c => Volatile.Read(ref c.LastId) < endId) && drained.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { })));

        var resets = 0;
        if (stalled is not null)
        {
            using var late = new StreamReader(await stalled.Content.ReadAsStreamAsync(), Encoding.UTF8);
            using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                while (resets == 0 && await late.ReadLineAsync(enough.Token) is { } line)
                {
                    resets += line == "event: reset" ? 1 : 0;
                }
            }
            catch (OperationCanceledException)
            {
            }
            stalled.Dispose();
        }

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
        var latency = new Samples(label);
        foreach (var c in clients)
        {
            c.LatencyMs.ForEach(latency.Add);
        }
        Console.WriteLine($"  {stored.Length:N0} events stored, {lost} lost, p50 {latency.Percentile(50):F0} ms, p95 {latency.Percentile(95):F0} ms, p99 {latency.Percentile(99):F0} ms, CPU {cpu:F0}%");
        return new Round(label, published, storedReadings, stored.Length, lost, duplicated, latency, cpu, resets);
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
