using System.Text;
using System.Text.Json;
using Paju.Field.Bridge;
using Paju.Field.Bridge.Config;
using Paju.Field.Modbus;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Tags;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Ingest;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// Production's shape for a site office's QR scanner: a real mosquitto configured by `paju broker config`, one `paju ingest`
/// worker holding the tag keys, a playground with a dozen plates, and the scanner's device registered.
/// </summary>
public sealed class ReaderMosquittoFixture(PostgisServer server) : MosquittoFixture(server)
{
    public const string Device = "gate-office-qr";
    public const string Site = "playground-gate";
    public const double PlaygroundLat = 37.7599, PlaygroundLon = 126.7802;

    /// <summary>The plates' URLs as printed on them (static signature), one per plate.</summary>
    public List<string> Plates { get; } = [];

    protected override IReadOnlyList<(string Device, string Site)> DevicePlan => [(Device, Site)];

    protected override IReadOnlyList<(string ClientId, string Subscription)> WorkerPlan => [("ingest-only", "exclusive")];

    protected override async Task PrepareAsync(string dataDirectory)
    {
        // The worker verifies with the key file under its data directory, as `paju serve` and `paju ingest` do by default.
        var keys = new TagKeyStore(Path.Combine(dataDirectory, "keys", "tags.json"));
        await Db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom)
            VALUES ('playground', 'PG-R0001', '리더 시험 놀이터', ST_SetSRID(ST_MakePoint({PlaygroundLon}, {PlaygroundLat}), 4326))
            """);
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var asset = await AssetRef.ResolveAsync(conn, tx, "PG-R0001", null, default);
        for (var i = 0; i < 12; i++)
        {
            var tag = await TagStore.AddAsync(conn, tx, keys, asset, "qr", null, null, Actor.System("test"), default);
            Plates.Add(tag.Url("https://safety.paju.go.kr", keys));
        }
        await tx.CommitAsync();
    }
}

/// <summary>
/// A serial QR scanner on the real `paju-bridge` process: plates scanned while the broker is up, while it is down, the bridge
/// SIGKILLed with scans still queued and started again, the broker back — every scan stored once in PostGIS, verified,
/// the outage's scans flagged historical, a repeat within the time-to-live suppressed and garbage never published.
/// </summary>
public sealed class ReaderStoreAndForwardTests(ReaderMosquittoFixture f) : IClassFixture<ReaderMosquittoFixture>
{
    private const string Reader = "office-qr";

    [Fact]
    public async Task Scans_through_a_broker_outage_and_a_killed_bridge_are_each_stored_once()
    {
        var dir = TempDirectory.Create("paju-reader-saf-");
        using var pair = SerialPairs.Start("office-qr");
        var config = new BridgeConfig
        {
            Mqtt = new MqttSettings { Endpoint = $"127.0.0.1:{f.Broker.Port}" },
            StatusFile = Path.Combine(dir, "status.json"),
            Queue = new QueueSettings { Directory = Path.Combine(dir, "queue") },
            Readers =
            [
                new ReaderConfig
                {
                    Name = Reader, Kind = ReaderKind.LineScanner, Site = ReaderMosquittoFixture.Site, Device = ReaderMosquittoFixture.Device,
                    Secret = f.Devices[ReaderMosquittoFixture.Device].Secret,
                    Serial = new SerialSettings { Port = pair.A, Baud = 9600, Parity = System.IO.Ports.Parity.None },
                    Position = new ReaderPosition(ReaderMosquittoFixture.PlaygroundLat, ReaderMosquittoFixture.PlaygroundLon + 0.0001, 3),   // about 9 m east
                    RepeatSeconds = 30, StateSeconds = 3600,
                },
            ],
        };
        var configFile = Path.Combine(dir, "bridge.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config, BridgeConfig.Json));
        using var scanner = new SerialLine(new SerialSettings { Port = pair.B, Baud = 9600, Parity = System.IO.Ports.Parity.None });
        void Scan(string text) => scanner.Write(Encoding.UTF8.GetBytes(text + "\r"));

        var first = BridgeCli.Start(configFile);
        ChildProcess? second = null;
        var brokerDown = false;
        try
        {
            // Broker up: plate 0 (shown twice — one visit), 1 and 2 are stored live. Scanned only once the bridge is connected:
            // what was queued before its first connect is a backlog, replayed as historical.
            await WaitForStatusAsync(first, config, s => s.ProcessId == first.Id && Scanner(s).Open && Scanner(s).Uplinks.Single().Connected,
                "the scanner's line open and the bridge connected");
            Scan(f.Plates[0]);
            Scan(f.Plates[0]);
            Scan(f.Plates[1]);
            Scan(f.Plates[2]);
            Assert.Equal(3, await f.WaitForRowsAsync(StoredSql, 3, ReaderMosquittoFixture.Device));

            // Broker down: plates 3–5 and a burst of line noise; once the scans are committed to disk, SIGKILL.
            await f.Broker.StopAsync();
            brokerDown = true;
            Scan(f.Plates[3]);
            Scan("\u0001\u0002zz");
            Scan(f.Plates[4]);
            Scan(f.Plates[5]);
            var killed = await WaitForStatusAsync(first, config, s => Scanner(s).CheckIns == 6 && Committed(Scanner(s)), "the outage's scans committed");
            Assert.Equal(1, Scanner(killed).Suppressed);
            Assert.Equal(1, Scanner(killed).Errors["garbage"]);
            Assert.False(Scanner(killed).Uplinks.Single().Connected);
            Assert.True(Scanner(killed).Uplinks.Single().Pending >= 3, $"{Scanner(killed).Uplinks.Single().Pending} records queued");
            // What the person at the gateway sees: the reader, its counts, its errors in words, its queue waiting.
            var shown = await BridgeCli.RunAsync("status", configFile);
            Assert.Contains($"판독기 {Reader} (line-scanner, {pair.A} 9600 8N1, 장치 {ReaderMosquittoFixture.Device}): 열림, 읽음 7, 체크인 6, 반복 억제 1", shown.StandardOutput);
            Assert.Contains("오류: garbage 1", shown.StandardOutput);
            Assert.Matches(@"MQTT 127\.0\.0\.1:\d+: 끊김, 대기열 \d+건", shown.StandardOutput);
            first.Kill9();

            // Started again, broker still down: plates 6–8 join the queue behind what the killed run left.
            second = BridgeCli.Start(configFile);
            await WaitForStatusAsync(second, config, s => s.ProcessId == second.Id && Scanner(s).Open, "the scanner's line open again");
            Scan(f.Plates[6]);
            Scan(f.Plates[7]);
            Scan(f.Plates[8]);
            await WaitForStatusAsync(second, config, s => Scanner(s).CheckIns == 3 && Committed(Scanner(s)), "the second run's scans committed");

            // Broker back: the backlog drains, and a plate scanned now is stored live beside it.
            await f.Broker.StartAsync();
            brokerDown = false;
            await WaitForStatusAsync(second, config, s => Scanner(s).Uplinks.Single() is { Connected: true, Pending: 0 }, "the queue drained");
            Scan(f.Plates[9]);
            Assert.Equal(10, await f.WaitForRowsAsync(StoredSql, 10, ReaderMosquittoFixture.Device));
            await WaitForStatusAsync(second, config, s => Scanner(s).Uplinks.Single() is { Connected: true, Pending: 0 }, "the last scan acknowledged");
            await second.StopCleanlyAsync();
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
                await f.Broker.StartAsync();
            }
        }

        // Give the worker a moment to store anything duplicated, then look at every row.
        await Task.Delay(1000);
        var rows = new List<(long Boot, long Seq, string Url, bool Historical, string Status, string Proof, int Distance, string Reader)>();
        await using (var conn = await f.Db.DataSource.OpenConnectionAsync())
        await using (var cmd = new Npgsql.NpgsqlCommand("""
            SELECT c.boot, c.seq, c.url, c.historical, c.status, c.proof, round(c.distance_m)::int, c.reader
            FROM checkin c JOIN device d ON d.id = c.device WHERE d.device_id = $1 ORDER BY c.boot, c.seq
            """, conn) { Parameters = { new() { Value = ReaderMosquittoFixture.Device } } })
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                rows.Add((r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetBoolean(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetString(7)));
            }
        }

        // Every plate once, in the order scanned; none twice.
        Assert.Equal(f.Plates.Take(10), rows.Select(r => r.Url));
        // Two runs, two boots, each numbering its check-ins from 0 without a gap.
        var boots = rows.GroupBy(r => r.Boot).ToList();
        Assert.Equal(2, boots.Count);
        Assert.All(boots, b => Assert.Equal(Enumerable.Range(0, b.Count()).Select(n => (long)n), b.Select(r => r.Seq)));
        // The outage's scans (3–8, from both runs) came back historical; those made with the broker up are live.
        Assert.Equal([false, false, false, true, true, true, true, true, true, false], rows.Select(r => r.Historical));
        // The server verified each with the tags' own code: the plate's signature, the reader's fixed position about 9 m away.
        Assert.All(rows, r => Assert.Equal(("verified", "signature", 9, Reader), (r.Status, r.Proof, r.Distance, r.Reader)));
    }

    private const string StoredSql = "SELECT count(*) FROM checkin c JOIN device d ON d.id = c.device WHERE d.device_id = $1";

    private static BridgeStatus.ReaderState Scanner(BridgeStatus status) => status.Readers!.Single(r => r.Name == Reader);

    /// <summary>Everything the reader's queue numbered is on disk (fsynced).</summary>
    private static bool Committed(BridgeStatus.ReaderState reader) => reader.Uplinks.Single() is var u && u.CommittedLsn == u.LastLsn;

    private static Task<BridgeStatus> WaitForStatusAsync(ChildProcess bridge, BridgeConfig config, Func<BridgeStatus, bool> condition, string what) =>
        BridgeCli.WaitForStatusAsync(bridge, config.StatusFile, s => s.Readers is not null && condition(s), what);
}
