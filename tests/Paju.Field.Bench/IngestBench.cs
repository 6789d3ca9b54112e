using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Exceptions;
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
/// Telemetry ingest under load, everything on this machine (broker, ingest, PostgreSQL, load generator).
/// Embedded mode acknowledges after commit, so publish→PUBACK is publish→commit.
/// 1. Latency: N devices each publishing QoS 1 and waiting for the PUBACK before the next (closed loop).
///    With 500 devices that measures latency more than capacity: 500 ÷ p50 is the rate.
/// 2. Capacity: the same devices with K messages in flight each, K stepped up until p99 passes 500 ms or
///    the steps run out; the best committed rate within 500 ms p99 is the capacity. Each step alternates runs against
///    ingest and the bare broker (see Rounds).
/// Each beside the same load model against a bare MQTTnet broker with no database (the ceiling). Every run starts its own
/// server and is measured after a warm-up under the same load (see WarmUp).
/// 3. External mode (--external): mosquitto and two `paju ingest` workers, partitioned by site, under the
///    closed-loop load; committed rows are traced every second until all acknowledged messages are in
///    PostGIS, or progress stops for 20 s (a stall).
/// </summary>
public static class IngestBench
{
    private const long Boot = 42;
    private const int Sites = 20;
    private static readonly int[] InFlightSteps = [2, 4, 8, 16];
    private const double LatencyBudgetMs = 500;

    /// <summary>The bench's devices are spread over 20 sites, so partitioned workers each get a share.</summary>
    internal static string SiteOf(string device) => $"bench-s{int.Parse(device["bench-".Length..]) % Sites:D2}";

    public sealed record Options(int Devices, TimeSpan Duration, bool External, string? ConnectionString, string DataDirectory, string ReportFile);

    /// <param name="Acknowledged">Every acknowledged message, the warm-up's included (what must be stored).</param>
    /// <param name="Elapsed">From the first publish to the last acknowledgement.</param>
    /// <param name="Measured">Acknowledgements within the measured window, after the warm-up: the rate, latency and CPU are of this window.</param>
    /// <param name="Trace">Acknowledged msgs/s in each <see cref="TraceInterval"/> from the first publish, the warm-up's included.</param>
    /// <param name="IssuedPerDevice">Sequence numbers 0 … issued − 1 were published by each device.</param>
    /// <param name="Unanswered">Publishes whose PUBACK did not come within the client's timeout, or whose connection the client dropped
    /// while they waited: not acknowledged, so not owed to the database, but a stall — each is also a latency sample of the time it waited.</param>
    /// <param name="Reconnections">Connections the devices opened again after dropping one.</param>
    private sealed record LoadResult(long Acknowledged, TimeSpan Elapsed, Samples Latency, long[] AckedPerDevice, double CpuPercent, long Measured, TimeSpan Window,
        IReadOnlyList<long> Trace, long[] IssuedPerDevice, IReadOnlyList<(string Device, long Seq)> Unanswered, int Reconnections)
    {
        public double Rate => Measured / Window.TotalSeconds;
    }

    /// <summary>
    /// Capacity is a property of a running server, and each run against a broker (embedded with ingest, or bare) starts a
    /// fresh one in this process: its first seconds fill pools, create the day's partition and the first newest values, and
    /// grow the heap. The first run also compiles the code: under full load .NET's tiered compilation of the whole server
    /// (ingest, Npgsql, the hosted services) kept the compiler thread at a sixth of the process's CPU for about 25 s on
    /// 2 cores, while ingest's rate climbed from ~6,000 to ~16,000 msgs/s; the bare broker's little code was steady within
    /// 10 s. So both are loaded this long before anything is measured, and the report shows the rate every 5 s from the
    /// first publish (<see cref="TraceInterval"/>): the measured window must be flat.
    /// </summary>
    internal static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(30);

    /// <summary>How long a client waits for a CONNACK or a PUBACK.</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The acknowledged rate is sampled at this interval, printed as progress and kept for the report.</summary>
    private static readonly TimeSpan TraceInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Each capacity step runs ingest and the bare broker by turns, this many times each, and reports each side over all
    /// its runs. This machine's speed drifts by a fifth within minutes (the bare broker gave 34,673 and 46,966 msgs/s at
    /// the same step within the hour): a single pair compares two moments as much as two brokers.
    /// </summary>
    private const int Rounds = 2;

    /// <summary>One in-flight step: its runs against each broker, alternating, and what each side did over all of them.</summary>
    private sealed record CapacityStep(int InFlight, IReadOnlyList<LoadResult> EmbeddedRuns, long Lost, IReadOnlyList<LoadResult> BareRuns)
    {
        public LoadResult Embedded { get; } = Combined(EmbeddedRuns);

        public LoadResult Bare { get; } = Combined(BareRuns);
    }

    /// <summary>Runs of one load against one broker as one: rate over all measured windows, latency over all samples.</summary>
    private static LoadResult Combined(IReadOnlyList<LoadResult> runs)
    {
        var latency = new Samples(runs[0].Latency.Name);
        foreach (var value in runs.SelectMany(r => r.Latency.Values))
        {
            latency.Add(value);
        }
        long[] Sum(Func<LoadResult, long[]> perDevice) => [.. Enumerable.Range(0, perDevice(runs[0]).Length).Select(i => runs.Sum(r => perDevice(r)[i]))];
        return new LoadResult(runs.Sum(r => r.Acknowledged), TimeSpan.FromTicks(runs.Sum(r => r.Elapsed.Ticks)), latency, Sum(r => r.AckedPerDevice),
            runs.Average(r => r.CpuPercent), runs.Sum(r => r.Measured), TimeSpan.FromTicks(runs.Sum(r => r.Window.Ticks)), [.. runs.SelectMany(r => r.Trace)],
            Sum(r => r.IssuedPerDevice), [.. runs.SelectMany(r => r.Unanswered)], runs.Sum(r => r.Reconnections));
    }

    private sealed record ExternalResult(LoadResult Load, long Committed, TimeSpan Drain, bool Stalled, long Lost, IReadOnlyList<long> RowsEachSecond);

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_ingest");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        var secrets = await RegisterDevicesAsync(db, options.Devices);

        // 1. Closed loop: embedded broker with ingest (PUBACK after commit), then a bare MQTTnet broker.
        var (embedded, lost, stored) = await EmbeddedAsync(connectionString, db, secrets, options, options.Duration, inFlight: 1, "embedded broker + ingest");
        var bare = await BareAsync(secrets, options.Duration, inFlight: 1, "bare MQTTnet broker (no database)");

        // 2. Capacity: K in flight per device, stepped up, each step against both.
        var steps = new List<CapacityStep>();
        var stepLength = TimeSpan.FromSeconds(Math.Max(15, options.Duration.TotalSeconds / InFlightSteps.Length));
        foreach (var k in InFlightSteps)
        {
            var embeddedRuns = new List<LoadResult>();
            var bareRuns = new List<LoadResult>();
            long stepLost = 0;
            for (var round = 1; round <= Rounds; round++)
            {
                var (load, lostInRun, _) = await EmbeddedAsync(connectionString, db, secrets, options, stepLength, k,
                    $"capacity, {k} in flight per device, round {round} of {Rounds}: embedded + ingest");
                embeddedRuns.Add(load);
                stepLost += lostInRun;
                bareRuns.Add(await BareAsync(secrets, stepLength, k, $"capacity, {k} in flight per device, round {round} of {Rounds}: bare broker"));
            }
            steps.Add(new CapacityStep(k, embeddedRuns, stepLost, bareRuns));
            if (steps[^1].Embedded.Latency.Percentile(99) > LatencyBudgetMs)
            {
                break;
            }
        }
        var withinBudget = steps.Where(s => s.Embedded.Latency.Percentile(99) <= LatencyBudgetMs).ToList();
        var capacity = withinBudget.Count > 0 ? withinBudget.Max(s => s.Embedded.Rate) : 0;
        var bareWithinBudget = steps.Where(s => s.Bare.Latency.Percentile(99) <= LatencyBudgetMs).ToList();
        var bareCapacity = bareWithinBudget.Count > 0 ? bareWithinBudget.Max(s => s.Bare.Rate) : steps.Max(s => s.Bare.Rate);
        var capacityLost = steps.Sum(s => s.Lost);

        // 3. External mode.
        ExternalResult? external = null;
        if (options.External)
        {
            external = await ExternalAsync(connectionString, db, secrets, options);
        }

        var capacityRows = string.Join("\n", steps.Select(s =>
            $"| {s.InFlight} × {options.Devices} | {s.Embedded.Rate:N0} ({EachRun(s.EmbeddedRuns)}) | {s.Embedded.Latency.Percentile(50):F1} / {s.Embedded.Latency.Percentile(99):F1} ms | {s.Embedded.CpuPercent:F0}% | {s.Lost}{UnansweredNote(s.Embedded)} | " +
            $"{s.Bare.Rate:N0} ({EachRun(s.BareRuns)}){UnansweredNote(s.Bare)} | {s.Bare.Latency.Percentile(50):F1} / {s.Bare.Latency.Percentile(99):F1} ms | {s.Embedded.Rate / s.Bare.Rate:P0} |"));
        var markdown = $"""
            ## Telemetry ingest: {options.Devices} devices, QoS 1

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench ingest{(options.External ? " --external" : "")}` — {options.Devices} MQTT 5 clients in one process over {Sites} sites, each publishing
              {SamplePayloadBytes} B readings; run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Broker, ingest, PostgreSQL and the load generator share the
              machine's {Environment.ProcessorCount} cores. Embedded mode sends each PUBACK only after the message's batch committed, so publish→PUBACK is publish→commit.

            ### Latency: one message in flight per device, {options.Duration.TotalSeconds:F0} s after {WarmUp.TotalSeconds:F0} s of warm-up

            | run | msgs/s | p50 publish→ack | p99 publish→ack | machine CPU | loss |
            |---|---|---|---|---|---|
            | embedded broker + ingest (committed) | {embedded.Rate:N0} | {embedded.Latency.Percentile(50):F1} ms | {embedded.Latency.Percentile(99):F1} ms | {embedded.CpuPercent:F0}% | {lost} of {embedded.Acknowledged:N0} acknowledged ({stored:N0} rows){UnansweredNote(embedded)} |
            | bare MQTTnet broker, no database | {bare.Rate:N0}{UnansweredNote(bare)} | {bare.Latency.Percentile(50):F1} ms | {bare.Latency.Percentile(99):F1} ms | {bare.CpuPercent:F0}% | — |

            With every device waiting for its PUBACK, the rate is {options.Devices} ÷ the latency: this measures latency, not what ingest can take.

            ### Capacity: K messages in flight per device; each step {Rounds} runs a side, by turns, each {stepLength.TotalSeconds:F0} s after {WarmUp.TotalSeconds:F0} s of warm-up

            A step's figures are over all its runs (each run's rate in brackets, in the order run); ingest and the bare broker alternate,
            so both meet the machine's drift alike.

            | in flight | committed msgs/s | p50 / p99 | machine CPU | lost | bare broker msgs/s | bare p50 / p99 | ratio |
            |---|---|---|---|---|---|---|---|
            {capacityRows}

            Capacity within p99 ≤ {LatencyBudgetMs:F0} ms: **{capacity:N0} committed msgs/s** against the bare broker's {bareCapacity:N0} msgs/s under the same load model
            = **{(bareCapacity > 0 ? capacity / bareCapacity : 0):P0}** (goal ≥ 50% — **{(bareCapacity > 0 && capacity / bareCapacity >= 0.5 ? "met" : "not met")}**); lost **{capacityLost + lost}** (goal 0 — **{(capacityLost + lost == 0 ? "met" : "NOT MET")}**).

            Acknowledged msgs/s every {TraceInterval.TotalSeconds:F0} s from the first publish of each run (the first {WarmUp.TotalSeconds / TraceInterval.TotalSeconds:F0} are the warm-up):
            {TraceLines(steps, capacity, bareCapacity)}

            ### External mode: mosquitto, two `paju ingest --subscription partitioned` workers

            {(external is null ? "Not run (pass `--external`)." : ExternalMarkdown(external, options))}
            """;
        Report.WriteSection(options.ReportFile, "ingest", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return lost + capacityLost == 0 && (external is null || (external.Lost == 0 && !external.Stalled)) ? 0 : 1;
    }

    private static string EachRun(IReadOnlyList<LoadResult> runs) =>
        string.Join(" · ", runs.Select(r => r.Rate.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Publishes left without a PUBACK, and the reconnections that followed, when there were any.</summary>
    private static string UnansweredNote(LoadResult load) =>
        load.Unanswered.Count == 0 ? "" : $" ({load.Unanswered.Count} unanswered: no PUBACK in {PublishTimeout.TotalSeconds:F0} s or the connection dropped" +
                                          (load.Reconnections > 0 ? $"; {load.Reconnections} reconnections" : "") + ")";

    /// <summary>The rate traces of the two steps the verdict rests on: ingest's capacity step and the bare broker's best.</summary>
    private static string TraceLines(List<CapacityStep> steps, double capacity, double bareCapacity)
    {
        static string Trace(LoadResult load) => string.Join(" · ", load.Trace.Select(r => r.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
        var lines = new List<string>();
        if (steps.FirstOrDefault(s => s.Embedded.Rate == capacity && capacity > 0) is { } ingest)
        {
            lines.AddRange(ingest.EmbeddedRuns.Select((run, i) => $"- embedded + ingest, {ingest.InFlight} in flight, run {i + 1}: {Trace(run)}"));
        }
        if (steps.FirstOrDefault(s => s.Bare.Rate == bareCapacity) is { } bare)
        {
            lines.AddRange(bare.BareRuns.Select((run, i) => $"- bare broker, {bare.InFlight} in flight, run {i + 1}: {Trace(run)}"));
        }
        return string.Join("\n", lines);
    }

    private static string ExternalMarkdown(ExternalResult e, Options options)
    {
        var total = e.Load.Elapsed + e.Drain;
        var trace = string.Join(", ", e.RowsEachSecond.Where((_, i) => i % 10 == 9).Select((r, i) => $"{(i + 1) * 10} s: {r:N0}"));
        return $"""
            The closed-loop load of {options.Devices} devices for {options.Duration.TotalSeconds:F0} s: mosquitto acknowledged {e.Load.Acknowledged:N0} messages at {e.Load.Rate:N0} msgs/s
            (p99 publish→PUBACK {e.Load.Latency.Percentile(99):F1} ms — before commit: mosquitto acknowledges on receipt).
            {(e.Stalled ? $"**Stalled**: committed rows stopped growing at {e.Committed:N0} for 20 s." : $"All {e.Committed:N0} were committed {e.Drain.TotalSeconds:F1} s after the load stopped.")}
            Committed end to end: **{e.Committed / total.TotalSeconds:N0} msgs/s**; lost **{e.Lost}**; stall: **{(e.Stalled ? "yes" : "no")}**{UnansweredNote(e.Load)}.
            Committed rows since the load began, every 10 s: {trace}.
            """;
    }

    private static async Task<(LoadResult Load, long Lost, long Stored)> EmbeddedAsync(string connectionString, NpgsqlDataSource db,
        Dictionary<string, string> secrets, Options options, TimeSpan duration, int inFlight, string label)
    {
        await using (var clear = db.CreateCommand("TRUNCATE telemetry, latest_metric, live_event"))
        {
            await clear.ExecuteNonQueryAsync();
        }
        var port = FreePort();
        LoadResult load;
        await using (var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-ingest"),
                         extra: new() { ["Paju:Mqtt:Embedded"] = "true", ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{port}" }))
        {
            load = await LoadAsync(port, secrets, duration, label, inFlight, WarmUp);
        }
        var stored = await CountAsync(db, "SELECT count(*) FROM telemetry");
        var lost = await LostAsync(db, secrets.Keys.ToArray(), load);
        Console.WriteLine($"  stored {stored:N0}, acknowledged {load.Acknowledged:N0}, lost {lost}");
        return (load, lost, stored);
    }

    private static async Task<LoadResult> BareAsync(Dictionary<string, string> secrets, TimeSpan duration, int inFlight, string label)
    {
        var port = FreePort();
        using var server = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port).Build());
        await server.StartAsync();
        var load = await LoadAsync(port, secrets, duration, label, inFlight, WarmUp);
        await server.StopAsync();
        return load;
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
            secrets[id] = (await DeviceStore.AddAsync(conn, tx, id, SiteOf(id), DeviceStore.DeviceRole, null, null, Actor.System("bench"), default)).Secret;
        }
        await tx.CommitAsync();
        return secrets;
    }

    /// <summary>
    /// Every device keeps <paramref name="inFlight"/> publishes outstanding — each waits for its PUBACK before
    /// the next — for the warm-up and then <paramref name="duration"/>. 1 is the classic closed loop. Sequence numbers stay
    /// contiguous per device. Rate, latency and CPU are of the acknowledgements within the measured window.
    /// </summary>
    private static async Task<LoadResult> LoadAsync(int port, Dictionary<string, string> secrets, TimeSpan duration, string label, int inFlight = 1,
        TimeSpan warmUp = default)
    {
        var devices = secrets.Keys.ToArray();
        var clients = await ConnectDevicesAsync(port, secrets);
        Console.WriteLine($"{label}: {devices.Length} devices connected; publishing for {warmUp.TotalSeconds:F0} s of warm-up, then {duration.TotalSeconds:F0} s measured");

        var acked = new long[devices.Length];
        var measured = new long[devices.Length];
        var latencies = new List<double>[devices.Length];
        var end = warmUp + duration;
        var stopwatch = Stopwatch.StartNew();
        var cpu = MeasureCpuAsync(warmUp, duration);
        var trace = TraceAsync(acked, stopwatch, warmUp, end);
        var issued = new long[devices.Length];
        var unanswered = new List<(string Device, long Seq)>();
        var reconnecting = devices.Select(_ => new SemaphoreSlim(1)).ToArray();
        var reconnections = 0;
        async Task ReconnectAsync(int device)
        {
            await reconnecting[device].WaitAsync();
            try
            {
                for (var attempt = 1; !clients[device].IsConnected; attempt++)
                {
                    try
                    {
                        await clients[device].ConnectAsync(clients[device].Options);
                        Interlocked.Increment(ref reconnections);
                    }
                    catch (Exception e) when (attempt < 5)
                    {
                        // The client may still be tearing down the connection it dropped.
                        Console.WriteLine($"  {devices[device]}: reconnecting failed ({e.Message}); trying again in 1 s");
                        await Task.Delay(TimeSpan.FromSeconds(1));
                    }
                }
            }
            finally
            {
                reconnecting[device].Release();
            }
        }
        void Sample(int device, double ms, bool acknowledged)
        {
            if (stopwatch.Elapsed is var at && at >= warmUp && at < end)
            {
                lock (latencies[device])
                {
                    latencies[device].Add(ms);
                }
                if (acknowledged)
                {
                    Interlocked.Increment(ref measured[device]);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, devices.Length).Select(i =>
        {
            latencies[i] = [];
            var topic = TelemetryTopic.For(SiteOf(devices[i]), devices[i], TelemetryTopic.Telemetry);
            return Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                while (stopwatch.Elapsed < end)
                {
                    var seq = Interlocked.Increment(ref issued[i]) - 1;
                    var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Reading(devices[i], seq).ToJson())
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                    var started = Stopwatch.GetTimestamp();
                    MqttClientPublishResult result;
                    try
                    {
                        result = await clients[i].PublishAsync(message);
                    }
                    catch (Exception e) when (e is MqttCommunicationTimedOutException or MqttClientDisconnectedException)
                    {
                        // One late PUBACK, or a connection the client gave up on when its keep-alive ping went unanswered too,
                        // is a figure of the run (a stall as long as the timeout), not the end of it. The device reconnects
                        // as a real one would; the message may or may not have been stored.
                        lock (unanswered)
                        {
                            unanswered.Add((devices[i], seq));
                        }
                        Sample(i, Stopwatch.GetElapsedTime(started).TotalMilliseconds, acknowledged: false);
                        await ReconnectAsync(i);
                        continue;
                    }
                    catch (MqttClientNotConnectedException)
                    {
                        // Never sent: another of the device's publishes met the disconnect first.
                        await ReconnectAsync(i);
                        continue;
                    }
                    if (!result.IsSuccess)
                    {
                        throw new InvalidOperationException($"{devices[i]}: {result.ReasonCode}");
                    }
                    Interlocked.Increment(ref acked[i]);
                    Sample(i, Stopwatch.GetElapsedTime(started).TotalMilliseconds, acknowledged: true);
                }
            }));
        }));
        var elapsed = stopwatch.Elapsed;
        foreach (var client in clients)
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync();
            }
            client.Dispose();
        }
        var samples = new Samples(label);
        foreach (var list in latencies)
        {
            list.ForEach(samples.Add);
        }
        var result = new LoadResult(acked.Sum(), elapsed, samples, acked, await cpu, measured.Sum(), duration, await trace, issued, unanswered,
            reconnections);
        Console.WriteLine($"  {result.Rate:N0} msgs/s acknowledged, p50 {samples.Percentile(50):F1} ms, p99 {samples.Percentile(99):F1} ms, CPU {result.CpuPercent:F0}%" +
                          (unanswered.Count > 0 ? $", {unanswered.Count} publishes unanswered" : "") +
                          (reconnections > 0 ? $", {reconnections} reconnections" : ""));
        return result;
    }

    /// <summary>The acknowledged rate in each interval until the load ends, printed as it goes (a run is a minute or more of silence otherwise).</summary>
    private static async Task<IReadOnlyList<long>> TraceAsync(long[] acked, Stopwatch stopwatch, TimeSpan warmUp, TimeSpan end)
    {
        var rates = new List<long>();
        long before = 0;
        using var timer = new PeriodicTimer(TraceInterval);
        while (stopwatch.Elapsed + TraceInterval / 2 < end && await timer.WaitForNextTickAsync())
        {
            var now = acked.Sum();
            rates.Add((long)((now - before) / TraceInterval.TotalSeconds));
            before = now;
            Console.WriteLine($"    {stopwatch.Elapsed.TotalSeconds,4:F0} s  {rates[^1],7:N0} msgs/s{(stopwatch.Elapsed <= warmUp ? "  (warm-up)" : "")}");
        }
        return rates;
    }

    /// <summary>The machine's CPU use over the measured window, which starts after the warm-up.</summary>
    private static async Task<double> MeasureCpuAsync(TimeSpan warmUp, TimeSpan duration)
    {
        await Task.Delay(warmUp);
        var before = CpuTimes();
        await Task.Delay(duration);
        return CpuPercent(before, CpuTimes());
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
                .WithProtocolVersion(MqttProtocolVersion.V500).WithTimeout(PublishTimeout).Build(), ct);
            clients[i] = client;
        });
        return clients;
    }

    /// <summary>
    /// Acknowledged readings missing from the table: each device's readings below its issued count, less the unanswered ones
    /// (which the broker may or may not have stored), must all be there.
    /// </summary>
    private static async Task<long> LostAsync(NpgsqlDataSource db, string[] devices, LoadResult load)
    {
        await using var cmd = db.CreateCommand("""
            WITH unanswered AS (SELECT * FROM unnest($4::text[], $5::bigint[]) AS u(device_id, seq))
            SELECT coalesce(sum(a.acked - (coalesce(s.stored, 0) - coalesce(x.stored, 0))), 0)::bigint
            FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS a(device_id, acked, issued)
            JOIN device d ON d.device_id = a.device_id
            LEFT JOIN LATERAL (SELECT count(*) AS stored FROM telemetry t WHERE t.device = d.id AND t.boot = 42 AND t.seq < a.issued) s ON true
            LEFT JOIN LATERAL (SELECT count(*) AS stored FROM unanswered u JOIN telemetry t ON t.device = d.id AND t.boot = 42 AND t.seq = u.seq
                               WHERE u.device_id = a.device_id) x ON true
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = devices });
        cmd.Parameters.Add(new NpgsqlParameter { Value = load.AckedPerDevice });
        cmd.Parameters.Add(new NpgsqlParameter { Value = load.IssuedPerDevice });
        cmd.Parameters.Add(new NpgsqlParameter { Value = load.Unanswered.Select(u => u.Device).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = load.Unanswered.Select(u => u.Seq).ToArray() });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// mosquitto as `paju broker config` writes it, and two partitioned `paju ingest` workers. The load runs, then committed rows
    /// are counted every second until every acknowledged message is in PostGIS, or nothing moved for 20 s (a stall).
    /// </summary>
    private static async Task<ExternalResult> ExternalAsync(string connectionString, NpgsqlDataSource db, Dictionary<string, string> secrets, Options options)
    {
        await using (var clear = db.CreateCommand("TRUNCATE telemetry, latest_metric, live_event"))
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
        var workers = new[] { ("bench-ingest-1", "1/2"), ("bench-ingest-2", "2/2") }.Select(w =>
        {
            var start = new ProcessStartInfo("dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "paju.dll"), "ingest", "--db", connectionString, "--data", options.DataDirectory,
                "--broker", $"127.0.0.1:{port}", "--user", "bench-ingest", "--client-id", w.Item1,
                "--subscription", "partitioned", "--partition", w.Item2,
            ]);
            start.Environment["Paju__Mqtt__Password"] = ingestSecret;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            return Process.Start(start)!;
        }).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(5));   // workers connect and subscribe

        var rowsEachSecond = new List<long>();
        using var tracing = new CancellationTokenSource();
        var trace = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(tracing.Token))
            {
                rowsEachSecond.Add(await CountAsync(db, "SELECT count(*) FROM telemetry"));
            }
        });
        var load = await LoadAsync(port, secrets, options.Duration, "mosquitto + 2 × paju ingest (partitioned)");
        var drain = Stopwatch.StartNew();
        long rows;
        var lastGrowth = Stopwatch.StartNew();
        var previous = -1L;
        var stalled = false;
        while ((rows = await CountAsync(db, "SELECT count(*) FROM telemetry")) < load.Acknowledged)
        {
            if (rows != previous)
            {
                previous = rows;
                lastGrowth.Restart();
            }
            else if (lastGrowth.Elapsed > TimeSpan.FromSeconds(20))
            {
                stalled = true;
                break;
            }
            await Task.Delay(200);
        }
        drain.Stop();
        await tracing.CancelAsync();
        try
        {
            await trace;
        }
        catch (OperationCanceledException)
        {
        }
        foreach (var worker in workers)
        {
            worker.Kill(entireProcessTree: true);
        }
        mosquitto.Kill();
        var lost = await LostAsync(db, secrets.Keys.ToArray(), load);
        Console.WriteLine($"  committed {rows:N0} of {load.Acknowledged:N0} acknowledged, {drain.Elapsed.TotalSeconds:F1} s after the load; stalled: {stalled}; lost {lost}");
        return new ExternalResult(load, rows, drain.Elapsed, stalled, lost, rowsEachSecond);
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
