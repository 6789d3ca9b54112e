using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Bridge;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Queue;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Ingest;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// The real bridge process between simulated controllers on serial lines and a real mosquitto with
/// a `paju ingest` worker: killed with SIGKILL, restarted, cut off from the broker — and every
/// reading ends up in PostGIS once.
/// </summary>
public sealed class StoreAndForwardTests(UlgokMosquittoFixture mosquitto) : IClassFixture<UlgokMosquittoFixture>
{
    private static readonly string[] Devices = ["ulgok-ps1-plc", "ulgok-ps2-plc"];

    /// <summary>
    /// The plant on two pty pairs, and a bridge configuration polling it five times a second. The lines
    /// run 8N2 (Modbus's no-parity framing): a pty drops the parity bit, and .NET then refuses to reopen
    /// a port whose parity did not stick — and these tests reopen the lines with each restart.
    /// </summary>
    private sealed class Station : IAsyncDisposable
    {
        private readonly SocatPtyPair _ps1 = SerialPairs.Start("ps1");
        private readonly SocatPtyPair _ps2 = SerialPairs.Start("ps2");
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _simulator;

        public Station(string broker, IReadOnlyDictionary<string, string> secrets)
        {
            var plant = new UlgokPlant(RainScenario.Typhoon, seed: 9);
            var simulator = new ModbusStationSimulator(plant,
                [Line(_ps1.A), Line(_ps2.A)], new ListLogger()) { Speed = 120 };
            _simulator = simulator.RunAsync(_stop.Token);
            Directory = TempDirectory.Create("paju-bridge-saf-");
            var config = DemoBridge.Config(broker, _ps1.B, _ps2.B, 115200, secrets, Path.Combine(Directory, "status.json"));
            // Replay at 10 a second: slower than the backlog builds, so live readings must go beside it.
            Config = config with
            {
                Lines = [.. config.Lines.Select(l => l with { Serial = Line(l.Serial.Port), PollIntervalMs = 200 })],
                Queue = config.Queue with { ReplayPerSecond = 10 },
            };
            ConfigFile = Path.Combine(Directory, "bridge.json");
            File.WriteAllText(ConfigFile, JsonSerializer.Serialize(Config, BridgeConfig.Json));
        }

        private static SerialSettings Line(string port) => new() { Port = port, Baud = 115200, Parity = System.IO.Ports.Parity.None, StopBits = 2 };

        public string Directory { get; }

        public BridgeConfig Config { get; }

        public string ConfigFile { get; }

        public string QueueOf(string device) => Path.Combine(Config.Queue.Directory, device, "broker");

        /// <summary>The status the running bridge wrote, once it satisfies <paramref name="condition"/>; the plant must keep running meanwhile.</summary>
        public Task<BridgeStatus> WaitForStatusAsync(ChildProcess bridge, Func<BridgeStatus, bool> condition, string what) =>
            BridgeCli.WaitForStatusAsync(bridge, Config.StatusFile, condition, what,
                () => Assert.False(_simulator.IsCompleted, $"the simulator stopped: {_simulator.Exception}"));

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _simulator;
            _ps1.Dispose();
            _ps2.Dispose();
        }
    }

    private static BridgeStatus.UplinkState Broker(BridgeStatus status, string device) => status.Devices.Single(d => d.Device == device).Uplinks.Single(u => u.Name == "broker");

    private static List<(long Lsn, TelemetryReading Reading, string Channel)> ReadQueue(string directory, string device)
    {
        using var queue = DiskQueue.Open(directory, new QueueSettings(), NullLogger.Instance);
        var (head, _, next) = queue.Mark();
        var records = new List<(long, TelemetryReading, string)>();
        while (queue.TryRead(head, next, out var record))
        {
            var text = Encoding.UTF8.GetString(record.Payload);
            var newline = text.IndexOf('\n');
            var (reading, _, reason) = TelemetryReading.Parse(Encoding.UTF8.GetBytes(text[(newline + 1)..]), device);
            Assert.True(reading is not null, $"queued record {record.Lsn} of {device} does not parse: {reason}");
            records.Add((record.Lsn, reading, text[..newline]));
        }
        return records;
    }

    /// <summary>
    /// Line 2, crash safety: SIGKILL at random moments, with no broker to drain the queue. After each
    /// kill the queue reopens with every record the bridge had reported as committed, numbered without
    /// a gap, each one whole; the next run goes on with a new boot number.
    /// </summary>
    [Fact]
    public async Task A_killed_bridge_reopens_its_queue_with_everything_it_had_committed()
    {
        var secrets = Devices.ToDictionary(d => d, d => "unused");
        await using var station = new Station($"127.0.0.1:{MqttDevice.FreePort()}", secrets);
        var random = new Random(11);
        var committedBefore = Devices.ToDictionary(d => d, _ => 0L);
        for (var trial = 0; trial < 4; trial++)
        {
            await using var bridge = BridgeCli.Start(station.ConfigFile);
            var status = await station.WaitForStatusAsync(bridge, s => s.ProcessId == bridge.Id && Devices.All(d =>
                s.Devices.Any(x => x.Device == d) && Broker(s, d).CommittedLsn >= committedBefore[d] + 10), $"trial {trial}: ten more committed readings");
            await Task.Delay(random.Next(700));
            status = BridgeStatus.Read(station.Config.StatusFile);
            bridge.Kill9();

            foreach (var device in Devices)
            {
                var committed = Broker(status, device).CommittedLsn;
                var records = ReadQueue(station.QueueOf(device), device);
                // Nothing was acknowledged (no broker): the queue is every record since the first run, 1..N.
                Assert.Equal(Enumerable.Range(1, records.Count).Select(n => (long)n), records.Select(r => r.Lsn));
                Assert.True(records.Count >= committed, $"{device}: {records.Count} records after the kill, {committed} had been committed");
                committedBefore[device] = records.Count;
            }
        }
        foreach (var device in Devices)
        {
            // Four runs, four boots, each numbering its readings from 0 without a gap.
            var readings = ReadQueue(station.QueueOf(device), device).Select(r => r.Reading).ToList();
            var boots = readings.GroupBy(r => r.Boot).ToList();
            Assert.Equal(4, boots.Count);
            Assert.Equal(boots.Select(b => b.Key).Order(), boots.Select(b => b.Key));
            Assert.All(boots, b => Assert.Equal(Enumerable.Range(0, b.Count()).Select(n => (long)n), b.Select(r => r.Seq)));
        }
    }

    /// <summary>
    /// Line 4: broker stopped while readings continue; the bridge SIGKILLed and restarted during the
    /// outage; broker back. Every reading is stored exactly once, each device's readings in order, the
    /// outage's readings flagged historical, and the latest state is the newest live reading.
    /// </summary>
    [Fact]
    public async Task Every_reading_through_an_outage_and_a_kill_is_stored_once_and_live_state_stays_live()
    {
        var secrets = Devices.ToDictionary(d => d, d => mosquitto.Devices[d].Secret);
        await using var station = new Station($"127.0.0.1:{mosquitto.Broker.Port}", secrets);
        var first = BridgeCli.Start(station.ConfigFile);
        ChildProcess? second = null;
        var brokerDown = false;
        try
        {
            await station.WaitForStatusAsync(first, s => Devices.All(d => s.Devices.Any(x => x.Device == d) && Broker(s, d).Published >= 10), "live readings");

            await mosquitto.Broker.StopAsync();
            brokerDown = true;
            var outage = await station.WaitForStatusAsync(first, s => Devices.All(d => !Broker(s, d).Connected && Broker(s, d).Pending >= 10), "readings queued in the outage");
            first.Kill9();

            second = BridgeCli.Start(station.ConfigFile);
            await station.WaitForStatusAsync(second, s => s.ProcessId == second.Id && Devices.All(d =>
                Broker(s, d).Pending >= Broker(outage, d).Pending + 10), "readings queued after the restart");

            await mosquitto.Broker.StartAsync();
            brokerDown = false;
            var drained = await station.WaitForStatusAsync(second, s => Devices.All(d => Broker(s, d) is { Connected: true, Replaying: false } u && u.Replayed > 0 && u.Pending < 5),
                "the backlog replayed");
            await station.WaitForStatusAsync(second, s => Devices.All(d => Broker(s, d).Published >= Broker(drained, d).Published + 10), "live readings after the replay");
            await second.StopCleanlyAsync();
            var final = BridgeStatus.Read(station.Config.StatusFile);

            foreach (var device in Devices)
            {
                await CheckStoredOnceAsync(device, Broker(final, device).LastLsn, ReadQueue(station.QueueOf(device), device));
            }
        }
        finally
        {
            first.Kill9();
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            if (brokerDown)
            {
                await mosquitto.Broker.StartAsync();
            }
        }
    }

    private async Task CheckStoredOnceAsync(string device, long produced, List<(long Lsn, TelemetryReading Reading, string Channel)> stillQueued)
    {
        // Every record the queue ever numbered (LSN 1..produced) is one reading: stored, or still queued
        // at the clean stop. Wait for the worker to store the rest.
        var queuedKeys = stillQueued.Select(q => (q.Reading.Boot, q.Reading.Seq)).ToHashSet();
        List<(long Boot, long Seq, DateTimeOffset Ts, bool Historical, DateTimeOffset ReceivedAt)> rows = [];
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            rows = await StoredAsync(device);
            if (rows.Select(r => (r.Boot, r.Seq)).Union(queuedKeys).Count() >= produced || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(200);
        }
        var keys = rows.Select(r => (r.Boot, r.Seq)).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(produced, keys.Union(queuedKeys).Count());
        Assert.True(rows.Count <= produced);

        // Two runs of the bridge, two boots; in each, readings numbered from 0 with no gap.
        var boots = keys.Union(queuedKeys).GroupBy(k => k.Boot).OrderBy(g => g.Key).ToList();
        Assert.Equal(2, boots.Count);
        Assert.All(boots, b => Assert.Equal(Enumerable.Range(0, b.Count()).Select(n => (long)n), b.Select(k => k.Seq).Order()));

        // In order per device: device time follows the numbering.
        var byKey = rows.OrderBy(r => r.Boot).ThenBy(r => r.Seq).ToList();
        Assert.Equal(byKey.Select(r => r.Ts), byKey.Select(r => r.Ts).Order());
        // The outage's readings came back flagged historical, and replayed oldest first.
        var historical = byKey.Where(r => r.Historical).ToList();
        Assert.True(historical.Count >= 20, $"{device}: {historical.Count} historical readings");
        Assert.Contains(historical, r => r.Boot == boots[0].Key);
        Assert.Contains(historical, r => r.Boot == boots[1].Key);
        Assert.Equal(historical.Select(r => r.ReceivedAt).Order(), historical.Select(r => r.ReceivedAt));

        // Live readings went beside the replay: some live reading was stored before an older replayed one.
        Assert.Contains(historical, h => byKey.Any(l => !l.Historical && l.Ts > h.Ts && l.ReceivedAt < h.ReceivedAt));
        // The latest state of each metric is its newest reading: a replayed reading stored after a newer
        // live one did not overwrite it. Readings of the telemetry channel (every poll) end live; health
        // (sent on change or each minute) may legitimately end on a reading made in the outage.
        // The newest values follow the readings' commits: waited for, up to a minute.
        async Task<long> NotNewestAsync() => await mosquitto.Db.ScalarAsync<long>("""
            SELECT count(*) FROM latest_metric l JOIN device d ON d.id = l.device
            WHERE d.device_id = $1 AND (l.boot, l.seq) <> (
                SELECT t.boot, t.seq FROM telemetry t WHERE t.device = l.device AND t.metrics ? l.metric ORDER BY t.ts DESC, t.boot DESC, t.seq DESC LIMIT 1)
            """, device);
        var settledBy = DateTime.UtcNow.AddSeconds(60);
        while (await NotNewestAsync() > 0 && DateTime.UtcNow < settledBy)
        {
            await Task.Delay(200);
        }
        Assert.Equal(0L, await NotNewestAsync());
        Assert.Equal(0L, await mosquitto.Db.ScalarAsync<long>("""
            SELECT count(*) FROM latest_metric l JOIN device d ON d.id = l.device
            WHERE d.device_id = $1 AND l.historical AND l.metric NOT LIKE 'modbus\_%' AND l.metric NOT LIKE 'queue\_%' AND l.metric <> 'comms_online'
            """, device));
        Assert.True(await mosquitto.Db.ScalarAsync<long>("SELECT count(*) FROM latest_metric l JOIN device d ON d.id = l.device WHERE d.device_id = $1", device) > 10);
        Assert.Equal(0L, await mosquitto.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter WHERE client_id = $1", device));
    }

    private async Task<List<(long Boot, long Seq, DateTimeOffset Ts, bool Historical, DateTimeOffset ReceivedAt)>> StoredAsync(string device)
    {
        await using var cmd = mosquitto.Db.DataSource.CreateCommand("""
            SELECT t.boot, t.seq, t.ts, t.historical, t.received_at FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1
            """);
        cmd.Parameters.AddWithValue(device);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(long, long, DateTimeOffset, bool, DateTimeOffset)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetBoolean(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return rows;
    }
}
