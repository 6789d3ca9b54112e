using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Devices;
using Paju.Field.Server.Seeding;
using Paju.Field.Telemetry;

namespace Paju.Field.Bench;

/// <summary>
/// The control room in a real browser (Debian's Chromium, headless, WebGL on SwiftShader — no GPU) over the sample city
/// plus generated playgrounds: time to interactive after a load; a scripted path at 1920×1080 over the densest cells from
/// z11 to z16, each step timed to MapLibre's <c>idle</c>, beside the same path with the asset layers off; an alarm raised
/// at the broker until the page's feature-state shows it, beside the alarm's own row in PostgreSQL; and our own
/// JavaScript beside the libraries, from the build's measure.
/// </summary>
public static class ControlRoomBench
{
    public sealed record Options(int Size, int Loads, int Alarms, string? ConnectionString, string DataDirectory, string ReportFile);

    private const string Site = "ulgok-ps1", Device = "ulgok-ps1-plc", Station = "ULGOK-PS1";
    private const string Username = "bench.room", Password = "bench-room-password-1";

    public static async Task<int> RunAsync(Options options)
    {
        if (!BenchBrowser.IsAvailable())
        {
            return 2;
        }
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_room");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        Console.WriteLine("Loading the sample city (outline, 읍면동, stations, 719 playgrounds, festivals)…");
        await SampleSeeder.SeedAsync(db, Actor.System("bench"), NullLogger.Instance, default);
        await BenchRegistry.GenerateAsync(db, options.Size, Console.WriteLine);
        var secret = await PrepareAsync(db);

        var port = IngestBench.FreePort();
        await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-room"), extra: new()
        {
            ["Paju:Mqtt:Embedded"] = "true", ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{port}", ["Paju:Alarms:EvaluateSeconds"] = "1",
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BenchBrowser.LaunchAsync(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1920, Height = 1080 }, Locale = "ko-KR", TimezoneId = "Asia/Seoul", BaseURL = server.Address.ToString(),
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByLabel("아이디").FillAsync(Username);
        await page.GetByLabel("비밀번호").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
        await WaitReadyAsync(page);

        // 1. Loads: interactive (the room's own mark: map loaded, stations placed, alarms read) and the first settled map.
        var interactive = new Samples("interactive");
        var domReady = new Samples("DOMContentLoaded");
        for (var i = 0; i <= options.Loads; i++)
        {
            await page.ReloadAsync();
            await WaitReadyAsync(page);
            var marks = await page.EvaluateAsync<double[]>("""
                () => [window.pajuRoom.readyAt, performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd]
                """);
            if (i == 0)
            {
                continue;   // the first load warms the server's caches and the browser's compile cache
            }
            interactive.Add(marks[0]);
            domReady.Add(marks[1]);
            Console.WriteLine($"  load {i}: interactive {marks[0]:F0} ms (DOMContentLoaded {marks[1]:F0} ms)");
        }

        // 2. The scripted path over the densest cell, then the same with the asset layers off.
        var (lon, lat, inCell) = await DensestCellAsync(db);
        Console.WriteLine($"Densest z11 cell: {inCell:N0} playgrounds around {lon:F4}, {lat:F4}");
        var steps = PathSteps(lon, lat);
        await WaitIdleAsync(page);
        var path = await WalkAsync(page, steps, "with every layer");
        await page.EvaluateAsync("""
            () => { const m = window.pajuRoom.map; for (const l of m.getStyle().layers) if (!['background', 'areas-fill', 'areas-line', 'outline'].includes(l.id)) m.setLayoutProperty(l.id, 'visibility', 'none'); }
            """);
        var bare = await WalkAsync(page, steps, "boundaries only");

        // 3. Alarms: published at the broker → the station's feature-state on the page, beside the alarm's row in PostgreSQL.
        await page.ReloadAsync();
        await WaitReadyAsync(page);
        var (onPage, inDatabase) = await AlarmsAsync(db, page, port, secret, options.Alarms);

        var sizes = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "wwwroot", "manifest.json")))
            .RootElement.GetProperty("apps").GetProperty("control-room");
        var ownGzip = sizes.GetProperty("ownJs").GetProperty("gzip").GetInt64();
        var allGzip = sizes.GetProperty("gzip").GetInt64();

        string Goal(bool met) => met ? "**met**" : "**not met**";
        var markdown = $"""
            ## Control room in the browser

            - Machine: {Machine.Describe()}; {versions}; Chromium {browser.Version}, headless, WebGL on SwiftShader (software, no GPU) — a wall display's GPU draws faster
            - Command: `./paju bench control-room` (--size {options.Size:N0} generated playgrounds beside the sample city, --loads {options.Loads}, --alarms {options.Alarms})
            - Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, 1920×1080, signed in as an operator, the server and PostgreSQL on the same machine.

            | figure | p50 | p95 | max | baseline (same run) | ratio p95 | goal |
            |---|---|---|---|---|---|---|
            | interactive after a load (ms) | {interactive.Percentile(50):F0} | {interactive.Percentile(95):F0} | {interactive.Percentile(100):F0} | DOMContentLoaded p95 {domReady.Percentile(95):F0} | {interactive.Percentile(95) / domReady.Percentile(95):F1}× | ≤ 3,000: {Goal(interactive.Percentile(95) <= 3000)} |
            | path step to `idle`, z11→z16 over {inCell:N0} playgrounds (ms, {path.Count} steps) | {path.Percentile(50):F0} | {path.Percentile(95):F0} | {path.Percentile(100):F0} | asset layers off p95 {bare.Percentile(95):F0} | {path.Percentile(95) / bare.Percentile(95):F1}× | p95 ≤ 1,000: {Goal(path.Percentile(95) <= 1000)} |
            | alarm published → feature-state on the page (ms, {onPage.Count} alarms) | {onPage.Percentile(50):F0} | {onPage.Percentile(95):F0} | {onPage.Percentile(100):F0} | alarm row in PostgreSQL p95 {inDatabase.Percentile(95):F0} | {onPage.Percentile(95) / Math.Max(1, inDatabase.Percentile(95)):F1}× | p95 ≤ 2,000: {Goal(onPage.Percentile(95) <= 2000)} |

            Our own JavaScript (the room's scripts built with every npm package left out, minified, gzip): **{ownGzip / 1024.0:F1} KB** beside
            {(allGzip - ownGzip) / 1024.0:F1} KB of MapLibre GL JS, uPlot and the styles (the page loads {allGzip / 1024.0:F1} KB gzip in all) — goal ≤ 150 KB: {Goal(ownGzip <= 150 * 1024)}.
            The alarm's path: MQTT publish → ingest → the evaluator's next pass (every second) → the alarm's live event → the page's feed → the alarm table read
            again → feature-state; the database figure is when the evaluator wrote the alarm, so the difference is the feed and the page.
            """;
        Report.WriteSection(options.ReportFile, "control-room", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return 0;
    }

    /// <summary>The station's controller and its high-level rule, and an operator to sign in.</summary>
    private static async Task<string> PrepareAsync(NpgsqlDataSource db)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var (_, secret) = await DeviceStore.AddAsync(conn, tx, Device, Site, DeviceStore.DeviceRole, null, null, Actor.System("bench"), default);
        await using (var cmd = new NpgsqlCommand("""
            UPDATE device SET asset_id = (SELECT id FROM asset WHERE code = 'ULGOK-PS1') WHERE device_id = 'ulgok-ps1-plc';
            INSERT INTO alarm_rule (code, device, asset_id, metric, kind, threshold, deadband, on_delay_s, window_s, priority, message_ko)
            SELECT 'BENCH-LEVEL-HIGH', d.id, d.asset_id, 'basin_level_m', 'high', 3.5, 0.1, 0, 600, 1, '울곡 유수지 수위 매우 높음 (벤치)'
            FROM device d WHERE d.device_id = 'ulgok-ps1-plc';
            """, conn, tx))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        await UserStore.CreateAsync(conn, tx, Username, "벤치 운영자", Roles.Operator, Password, default);
        await tx.CommitAsync();
        return secret;
    }

    private static async Task WaitReadyAsync(IPage page)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await page.EvaluateAsync<bool>("() => window.pajuRoom?.ready === true"))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The room did not become interactive within 2 minutes.");
            }
            await Task.Delay(50);
        }
    }

    private static Task WaitIdleAsync(IPage page) => page.EvaluateAsync("""
        () => new Promise(resolve => { const m = window.pajuRoom.map; if (m.loaded() && m.areTilesLoaded()) resolve(); else m.once('idle', resolve); })
        """);

    /// <summary>The z11 tile holding the most playgrounds: where the wall map is heaviest.</summary>
    private static async Task<(double Lon, double Lat, long Count)> DensestCellAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("""
            WITH t AS (
                SELECT floor((ST_X(geom) + 180) / 360 * 2048) AS x,
                       floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2 * 2048) AS y
                FROM asset WHERE kind = 'playground')
            SELECT x, y, count(*) FROM t GROUP BY x, y ORDER BY count(*) DESC LIMIT 1
            """);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        var (x, y, n) = (r.GetDouble(0) + 0.5, r.GetDouble(1) + 0.5, r.GetInt64(2));
        var lon = x / 2048 * 360 - 180;
        var lat = Math.Atan(Math.Sinh(Math.PI * (1 - 2 * y / 2048))) * 180 / Math.PI;
        return (lon, lat, n);
    }

    /// <summary>z11 to z16, four views each: the cell's centre, then a pan east, south and west by half a screen.</summary>
    private static List<(double Lon, double Lat, int Zoom)> PathSteps(double lon, double lat)
    {
        var steps = new List<(double, double, int)>();
        for (var zoom = 11; zoom <= 16; zoom++)
        {
            var half = 360.0 / Math.Pow(2, zoom) * 1920 / 512 / 2;   // half the screen's width in degrees at this zoom (512 px tiles)
            steps.Add((lon, lat, zoom));
            steps.Add((lon + half, lat, zoom));
            steps.Add((lon + half, lat - half * 0.6, zoom));
            steps.Add((lon - half, lat - half * 0.6, zoom));
        }
        return steps;
    }

    private static async Task<Samples> WalkAsync(IPage page, List<(double Lon, double Lat, int Zoom)> steps, string label)
    {
        var samples = new Samples(label);
        foreach (var (lon, lat, zoom) in steps)
        {
            var ms = await page.EvaluateAsync<double>("""
                async ([lon, lat, zoom]) => {
                  const m = window.pajuRoom.map, t0 = performance.now();
                  const idle = new Promise(resolve => m.once('idle', resolve));
                  m.jumpTo({ center: [lon, lat], zoom });
                  await idle;
                  return performance.now() - t0;
                }
                """, new object[] { lon, lat, zoom });
            samples.Add(ms);
        }
        Console.WriteLine($"  path ({label}): p50 {samples.Percentile(50):F0} ms, p95 {samples.Percentile(95):F0} ms over {samples.Count} steps");
        return samples;
    }

    private static async Task<(Samples OnPage, Samples InDatabase)> AlarmsAsync(NpgsqlDataSource db, IPage page, int port, string secret, int count)
    {
        // The page records when the station's feature-state changes, frame by frame, in its own clock (epoch ms).
        await page.EvaluateAsync("""
            () => {
              const m = window.pajuRoom.map, seen = window.__alarmSeen = [];
              let last = 0;
              const watch = () => {
                const now = m.getFeatureState({ source: 'pump_station', sourceLayer: 'pump_station', id: 'ULGOK-PS1' }).alarm ?? 0;
                if (now !== last) { seen.push([Date.now(), now]); last = now; }
                requestAnimationFrame(watch);
              };
              watch();
            }
            """);
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(Device).WithCredentials(Device, secret)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(30)).Build());
        var topic = TelemetryTopic.For(Site, Device, TelemetryTopic.Telemetry);
        long seq = 0;
        async Task PublishAsync(double level)
        {
            var reading = new TelemetryReading(Device, 7, seq++, DateTimeOffset.UtcNow, false, new Dictionary<string, double> { ["basin_level_m"] = level },
                new Dictionary<string, bool>());
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(reading.ToJson())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }
        async Task<double> SeenAsync(long after, int state)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                var seen = await page.EvaluateAsync<double[][]>("() => window.__alarmSeen");
                var hit = seen.FirstOrDefault(s => s[0] >= after && (int)s[1] == state);
                if (hit is not null)
                {
                    return hit[0] - after;
                }
                await Task.Delay(20);
            }
            throw new TimeoutException($"The page did not show alarm state {state} within 60 s.");
        }
        var onPage = new Samples("on the page");
        var inDatabase = new Samples("in PostgreSQL");
        await PublishAsync(2.0);
        for (var i = 0; i < count; i++)
        {
            await Task.Delay(Random.Shared.Next(200, 1200));   // not in step with the evaluator's second
            var raisedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await PublishAsync(4.2);
            var pageMs = await SeenAsync(raisedAt, 1);
            await using (var cmd = db.CreateCommand("""
                SELECT (extract(epoch FROM max(a.raised_at)) * 1000)::float8 FROM alarm a JOIN alarm_rule r ON r.id = a.rule_id WHERE r.code = 'BENCH-LEVEL-HIGH'
                """))
            {
                inDatabase.Add((double)(await cmd.ExecuteScalarAsync())! - raisedAt);
            }
            onPage.Add(pageMs);
            var clearedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await PublishAsync(2.0);
            await SeenAsync(clearedAt, 0);
        }
        await client.DisconnectAsync();
        Console.WriteLine($"  alarms: on the page p50 {onPage.Percentile(50):F0} ms, p95 {onPage.Percentile(95):F0} ms; in PostgreSQL p95 {inDatabase.Percentile(95):F0} ms");
        return (onPage, inDatabase);
    }
}
