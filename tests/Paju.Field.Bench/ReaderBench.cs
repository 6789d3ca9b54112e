using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;
using Paju.Field.Bridge;
using Paju.Field.Bridge.Config;
using Paju.Field.Modbus;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Simulation;
using Paju.Field.Server.Tags;
using Paju.Field.Telemetry;

namespace Paju.Field.Bench;

/// <summary>
/// A serial QR scanner on the real <c>paju-bridge</c> process (a socat pty, the reader loop, the on-disk queue) into the real
/// server (its embedded broker, ingest, verification, PostGIS). (A) Scan → stored, one scan at a time, beside the same check-in
/// published by a device straight to the broker (the baseline: no serial line, no bridge, no queue). (B) The broker down while
/// a backlog of scans is queued, then back: how long the backlog takes to reach PostGIS at the default replay pace and unpaced,
/// and how fast a scan made during the replay is stored.
/// </summary>
public static class ReaderBench
{
    public sealed record Options(int Scans, int Backlog, string? ConnectionString, string DataDirectory, string ReportFile);

    private const string ReaderDevice = "bench-00001", DirectDevice = "bench-00000";
    private const double PlaygroundLat = 37.7599, PlaygroundLon = 126.7802;

    private sealed record Replay(string Pace, int Backlog, TimeSpan Fill, TimeSpan ToFirst, TimeSpan ToAll, long Stored, long Historical, Samples Live);

    public static async Task<int> RunAsync(Options options)
    {
        if (!SocatPtyPair.IsAvailable)
        {
            Console.Error.WriteLine("socat is not installed (apt-get install socat): the benchmark needs a pty pair for the scanner.");
            return 2;
        }
        var root = Path.Combine(options.DataDirectory, "readers-bench");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        Directory.CreateDirectory(root);
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_readers");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        var secrets = await IngestBench.RegisterDevicesAsync(db, 2);
        var keyFile = Path.Combine(root, "keys", "tags.json");
        var (backlogPlate, livePlate) = await PlatesAsync(db, new TagKeyStore(keyFile));
        var port = IngestBench.FreePort();
        var serverSettings = new Dictionary<string, string?>
        {
            ["Paju:Tags:KeyFile"] = keyFile, ["Paju:Mqtt:Embedded"] = "true", ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{port}",
        };
        var serverData = Path.Combine(root, "server");
        var server = await BenchServer.StartAsync(connectionString, serverData, extra: serverSettings);

        using var pair = SocatPtyPair.Start(Path.Combine(root, "reader-tty"), Path.Combine(root, "scanner-tty"));
        using var scanner = new SerialLine(new SerialSettings { Port = pair.B, Baud = 115200, Parity = System.IO.Ports.Parity.None });
        var config = BridgeConfigFor(root, port, pair.A, secrets[ReaderDevice], replayPerSecond: new QueueSettings().ReplayPerSecond);
        var bridge = await ScannerBridge.StartAsync(root, config);
        await using var stored = await StoredProbe.OpenAsync(db, ReaderDevice);
        try
        {
            // A. One scan at a time at the bridge, then the same check-in from a device straight to the broker; turn about.
            var direct = (await IngestBench.ConnectDevicesAsync(port, new() { [DirectDevice] = secrets[DirectDevice] }))[0];
            await using var directStored = await StoredProbe.OpenAsync(db, DirectDevice);
            var viaBridge = new Samples("scan → stored");
            var viaDevice = new Samples("device → stored");
            const int warmup = 20;
            Console.WriteLine($"A. {options.Scans} scans through the bridge and {options.Scans} direct check-ins, alternating (after {warmup} of each)");
            for (var i = 0; i < warmup + options.Scans; i++)
            {
                var scan = await bridge.ScanAsync(scanner, livePlate, stored);
                var sent = Stopwatch.GetTimestamp();
                var checkIn = new CheckIn(DirectDevice, 1, i, DateTimeOffset.UtcNow, null, livePlate, "direct", null,
                    new CheckInPosition(PlaygroundLat, PlaygroundLon, 3), false);
                await direct.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(TelemetryTopic.For(IngestBench.SiteOf(DirectDevice), DirectDevice, TelemetryTopic.Checkin))
                    .WithPayload(checkIn.ToJson()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                await directStored.WaitAsync(1, i);
                if (i >= warmup)
                {
                    viaBridge.Add(scan);
                    viaDevice.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                }
                if ((i + 1) % 100 == 0)
                {
                    Console.WriteLine($"  {i + 1} of {warmup + options.Scans}: scan → stored p95 so far {(viaBridge.Count > 0 ? viaBridge.Percentile(95) : 0):F0} ms");
                }
            }
            await direct.DisconnectAsync();
            direct.Dispose();

            // B. Outages: first with the bridge as configured by default, then with replayPerSecond 0.
            var replays = new List<Replay>();
            foreach (var pace in new[] { config.Queue.ReplayPerSecond, 0 })
            {
                if (pace != config.Queue.ReplayPerSecond)
                {
                    await bridge.StopAsync();
                    config = BridgeConfigFor(root, port, pair.A, secrets[ReaderDevice], pace);
                    bridge = await ScannerBridge.StartAsync(root, config);
                }
                await server.DisposeAsync();
                Console.WriteLine($"B. Broker down; {options.Backlog:N0} scans queued by the bridge (replay {(pace == 0 ? "unpaced" : $"at {pace}/s")})");
                var first = bridge.NextSeq;
                var filling = Stopwatch.StartNew();
                await bridge.FillAsync(scanner, backlogPlate, options.Backlog);
                var fill = filling.Elapsed;
                Console.WriteLine($"  queued and committed in {fill.TotalSeconds:F1} s; broker back");
                // The clock starts with the server's start: its embedded broker listens before the server has finished starting.
                var back = Stopwatch.StartNew();
                server = await BenchServer.StartAsync(connectionString, serverData, extra: serverSettings);
                // Once the bridge is connected again (the backlog's first row is stored), a plate scanned every second while the
                // backlog replays, each timed to its own row: a scan made now is live and goes beside the replay, not behind it.
                using var stopLive = new CancellationTokenSource();
                var live = new Samples("live during replay");
                var liveScans = Task.CompletedTask;
                TimeSpan? toFirst = null;
                var lastReport = TimeSpan.Zero;
                while (true)
                {
                    var done = await stored.CountAsync(bridge.Boot, first, first + options.Backlog);
                    if (done > 0 && toFirst is null)
                    {
                        toFirst = back.Elapsed;
                        liveScans = Task.Run(async () =>
                        {
                            while (!stopLive.IsCancellationRequested)
                            {
                                live.Add(await bridge.ScanAsync(scanner, livePlate, stored));
                                await Task.Delay(1000, CancellationToken.None);
                            }
                        });
                    }
                    if (done >= options.Backlog)
                    {
                        break;
                    }
                    if (back.Elapsed - lastReport >= TimeSpan.FromSeconds(10))
                    {
                        lastReport = back.Elapsed;
                        Console.WriteLine($"  {done:N0} of {options.Backlog:N0} stored after {lastReport.TotalSeconds:F0} s");
                    }
                    if (back.Elapsed > TimeSpan.FromMinutes(20))
                    {
                        throw new TimeoutException($"{done:N0} of {options.Backlog:N0} queued scans stored after 20 minutes");
                    }
                    await Task.Delay(100);
                }
                var toAll = back.Elapsed;
                await stopLive.CancelAsync();
                await liveScans;
                var (count, historical) = await stored.RangeAsync(bridge.Boot, first, first + options.Backlog);
                Console.WriteLine($"  all stored {toAll.TotalSeconds:F1} s after the broker came back ({toFirst!.Value.TotalSeconds:F1} s to the first); " +
                    $"{historical:N0} historical; {live.Count} live scans meanwhile, p95 {live.Percentile(95):F0} ms");
                replays.Add(new Replay(pace == 0 ? "unpaced (`replayPerSecond: 0`)" : $"default (`replayPerSecond: {pace}`)", options.Backlog, fill, toFirst.Value, toAll,
                    count, historical, live));
            }

            var duplicates = await stored.DuplicatesAsync();
            WriteReport(options, versions, viaBridge, viaDevice, replays, duplicates);
            return viaBridge.Percentile(95) <= 1000 && duplicates == 0 && replays.All(r => r.Stored == r.Backlog) ? 0 : 1;
        }
        finally
        {
            await bridge.StopAsync();
            await server.DisposeAsync();
        }
    }

    private static void WriteReport(Options options, string versions, Samples viaBridge, Samples viaDevice, List<Replay> replays, long duplicates)
    {
        static string Row(string what, Samples s) =>
            $"| {what} | {s.Count} | {s.Percentile(50):F0} ms | {s.Percentile(95):F0} ms | {s.Percentile(99):F0} ms | {s.Values.Max():F0} ms |";
        var replayRows = new StringBuilder();
        foreach (var r in replays)
        {
            replayRows.AppendLine($"| {r.Pace} | {r.Backlog:N0} | {r.Fill.TotalSeconds:F1} s | {r.ToFirst.TotalSeconds:F1} s | **{r.ToAll.TotalSeconds:F1} s** | " +
                $"{r.Backlog / (r.ToAll - r.ToFirst).TotalSeconds:N0} | {r.Stored:N0} / {r.Historical:N0} | {r.Live.Count}: p50 {r.Live.Percentile(50):F0} ms, p95 {r.Live.Percentile(95):F0} ms |");
        }
        var p95 = viaBridge.Percentile(95);
        var markdown = $"""
            ## Fixed readers: scan → stored, and a backlog replayed (firmware-bridge)

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench readers` (`--scans {options.Scans} --backlog {options.Backlog}`) — run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.
            - Path: a serial QR scanner (a socat pty at 115200 8N1, CR-terminated plate URLs) → the real `paju-bridge` process (line framing,
              the reader's check-in, the on-disk queue with its default 100 ms group commit, MQTT QoS 1) → the server's embedded broker →
              ingest, the plate's signature and the reader's distance verified → PostGIS. "Stored" is the moment the check-in's
              (device, boot, seq) row is visible to another connection (polled every millisecond).

            **Scan → stored**, one scan at a time; the baseline is the same check-in published by a device straight to the broker
            (no serial line, no bridge, no queue), alternating with the scans:

            | path | n | p50 | p95 | p99 | max |
            |---|---|---|---|---|---|
            {Row("QR scan through the bridge", viaBridge)}
            {Row("baseline: device → broker", viaDevice)}

            p95 **{p95:F0} ms** against the 1 s goal ({(p95 <= 1000 ? "met" : "not met")}); the serial line, the bridge and its queue add
            {p95 - viaDevice.Percentile(95):F0} ms at p95 ({p95 / viaDevice.Percentile(95):F2}× the baseline).

            **A backlog replayed**: the broker (the server) stopped, {options.Backlog:N0} scans made at the scanner as fast as the line
            takes them and committed to the bridge's queue, then the server started again. Timed from the server's start; a plate
            is scanned every second once the bridge is connected again, each timed to its own row.

            | replay pace | backlog | queued in | broker back → first stored | → all stored | scans/s replayed | stored / historical | live scans during the replay |
            |---|---|---|---|---|---|---|---|
            {replayRows.ToString().TrimEnd()}

            "First stored" includes the server's start and the bridge's reconnect back-off (1 s doubling, at most 30 s). Each (device, boot, seq) was
            stored once ({duplicates} duplicates; the table's unique key would refuse one), and no scan was lost: every queued scan is a row.
            """;
        Report.WriteSection(options.ReportFile, "readers", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
    }

    private static BridgeConfig BridgeConfigFor(string root, int port, string tty, string secret, int replayPerSecond) => new()
    {
        Mqtt = new MqttSettings { Endpoint = $"127.0.0.1:{port}" },
        StatusFile = Path.Combine(root, "bridge-status.json"),
        Queue = new QueueSettings { Directory = Path.Combine(root, "bridge-queue"), ReplayPerSecond = replayPerSecond },
        Readers =
        [
            new ReaderConfig
            {
                Name = "office-qr", Kind = ReaderKind.LineScanner, Site = IngestBench.SiteOf(ReaderDevice), Device = ReaderDevice, Secret = secret,
                Serial = new SerialSettings { Port = tty, Baud = 115200, Parity = System.IO.Ports.Parity.None },
                Position = new ReaderPosition(PlaygroundLat, PlaygroundLon + 0.0001, 3),
                // Every scan counts here: the benchmark shows the same plates again and again.
                RepeatSeconds = 0, StateSeconds = 3600,
            },
        ],
    };

    private static async Task<(string Backlog, string Live)> PlatesAsync(NpgsqlDataSource db, TagKeyStore keys)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO asset (kind, code, name, geom)
            VALUES ('playground', 'PG-B0001', '리더 벤치 놀이터', ST_SetSRID(ST_MakePoint({PlaygroundLon}, {PlaygroundLat}), 4326))
            """, conn, tx))
        {
            await insert.ExecuteNonQueryAsync();
        }
        var asset = await AssetRef.ResolveAsync(conn, tx, "PG-B0001", null, default);
        var backlog = await TagStore.AddAsync(conn, tx, keys, asset, "qr", null, null, Actor.System("bench"), default);
        var live = await TagStore.AddAsync(conn, tx, keys, asset, "qr", null, null, Actor.System("bench"), default);
        await tx.CommitAsync();
        return (backlog.Url("https://safety.paju.go.kr", keys), live.Url("https://safety.paju.go.kr", keys));
    }

    /// <summary>Sees a check-in's row by its unique key, on a connection of its own.</summary>
    private sealed class StoredProbe(NpgsqlConnection conn, int device) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _one = new(1);

        public static async Task<StoredProbe> OpenAsync(NpgsqlDataSource db, string device)
        {
            var conn = await db.OpenConnectionAsync();
            await using var cmd = new NpgsqlCommand("SELECT id FROM device WHERE device_id = $1", conn) { Parameters = { new() { Value = device } } };
            return new StoredProbe(conn, (int)(await cmd.ExecuteScalarAsync())!);
        }

        public async Task WaitAsync(long boot, long seq)
        {
            var deadline = Stopwatch.StartNew();
            while (!await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM checkin WHERE device = $1 AND boot = $2 AND seq = $3)", boot, seq))
            {
                if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new TimeoutException($"check-in {boot}/{seq} was not stored within 5 minutes");
                }
                await Task.Delay(1);
            }
        }

        public Task<long> CountAsync(long boot, long from, long to) =>
            ScalarAsync<long>("SELECT count(*) FROM checkin WHERE device = $1 AND boot = $2 AND seq >= $3 AND seq < $4", boot, from, to);

        public async Task<(long Count, long Historical)> RangeAsync(long boot, long from, long to) =>
            (await CountAsync(boot, from, to),
             await ScalarAsync<long>("SELECT count(*) FROM checkin WHERE device = $1 AND boot = $2 AND seq >= $3 AND seq < $4 AND historical", boot, from, to));

        public Task<long> DuplicatesAsync() => ScalarAsync<long>("SELECT count(*) - count(DISTINCT (boot, seq)) FROM checkin WHERE device = $1");

        /// <summary>The device is $1; <paramref name="args"/> are $2 ….</summary>
        private async Task<T> ScalarAsync<T>(string sql, params long[] args)
        {
            await _one.WaitAsync();
            try
            {
                await using var cmd = new NpgsqlCommand(sql, conn) { Parameters = { new() { Value = device } } };
                foreach (var arg in args)
                {
                    cmd.Parameters.Add(new() { Value = arg });
                }
                return (T)(await cmd.ExecuteScalarAsync())!;
            }
            finally
            {
                _one.Release();
            }
        }

        public async ValueTask DisposeAsync() => await conn.DisposeAsync();
    }

    /// <summary>The real <c>paju-bridge run</c> as a process of its own (its log in a file beside its queue), and the scans made at its scanner.</summary>
    private sealed class ScannerBridge(Process process, BridgeConfig config, long boot)
    {
        private readonly Lock _scanning = new();
        private long _seq;

        public long Boot => boot;

        public long NextSeq => Interlocked.Read(ref _seq);

        public static async Task<ScannerBridge> StartAsync(string root, BridgeConfig config)
        {
            var configFile = Path.Combine(root, "bridge.json");
            await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config, BridgeConfig.Json));
            var log = Path.Combine(root, "bridge.log");
            var start = new ProcessStartInfo("/bin/sh", ["-c", $"exec dotnet \"$0\" run \"$1\" >>\"$2\" 2>&1", BridgeDll(), configFile, log]);
            var process = Process.Start(start)!;
            var status = await WaitForStatusAsync(process, config, s => s.ProcessId == process.Id && s.Readers is [{ Open: true }], "the scanner's line open", log);
            var bootFile = Path.Combine(config.Queue.Directory, ReaderDevice, "boot");
            Console.WriteLine($"  paju-bridge {process.Id} reading {status.Readers![0].Serial}; log in {log}");
            return new ScannerBridge(process, config, long.Parse(await File.ReadAllTextAsync(bootFile)));
        }

        /// <summary>One scan, timed from the line written to its row visible.</summary>
        public async Task<double> ScanAsync(SerialLine scanner, string plate, StoredProbe stored)
        {
            long seq;
            long started;
            lock (_scanning)
            {
                seq = _seq++;
                started = Stopwatch.GetTimestamp();
                scanner.Write(Encoding.UTF8.GetBytes(plate + "\r"));
            }
            await stored.WaitAsync(boot, seq);
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        /// <summary>Scans as fast as the line takes them, then waits until the bridge has committed every one to its queue.</summary>
        public async Task FillAsync(SerialLine scanner, string plate, int count)
        {
            var line = Encoding.UTF8.GetBytes(plate + "\r");
            var expected = 0L;
            for (var i = 0; i < count; i += 100)
            {
                var burst = Math.Min(100, count - i);
                var bytes = new byte[line.Length * burst];
                for (var k = 0; k < burst; k++)
                {
                    line.CopyTo(bytes, k * line.Length);
                }
                lock (_scanning)
                {
                    scanner.Write(bytes);
                    _seq += burst;
                    expected = _seq;
                }
            }
            await WaitForStatusAsync(process, config, s => s.Readers is [{ } r] && r.CheckIns == expected && r.Uplinks[0].CommittedLsn == r.Uplinks[0].LastLsn,
                $"{count:N0} scans committed", null);
        }

        public async Task StopAsync()
        {
            if (!process.HasExited)
            {
                Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
        }

        private static async Task<BridgeStatus> WaitForStatusAsync(Process process, BridgeConfig config, Func<BridgeStatus, bool> condition, string what, string? log)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"paju-bridge exited while waiting for {what}{(log is null ? "" : $"; see {log}")}");
                }
                try
                {
                    if (File.Exists(config.StatusFile) && BridgeStatus.Read(config.StatusFile) is { } status && condition(status))
                    {
                        return status;
                    }
                }
                catch (Exception e) when (e is IOException or JsonException)
                {
                }
                if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new TimeoutException($"waited five minutes for {what}");
                }
                await Task.Delay(50);
            }
        }

        /// <summary>The bridge's own build output (its hosting packages are not copied beside the benchmarks).</summary>
        private static string BridgeDll()
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return Path.Combine(Report.RepositoryRoot(), "firmware-bridge", "src", "Paju.Field.Bridge", "bin", tfm.Parent!.Name, tfm.Name, "paju-bridge.dll");
        }
    }
}
