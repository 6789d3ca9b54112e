using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Tags;
using Paju.Field.Tags;

namespace Paju.Field.Bench;

/// <summary>
/// Check-in verification under load: clients (inspectors, one NTAG 424 tag each) posting fresh SUN taps at
/// the tag's playground — SUN decrypt and MAC, the counter, the distance — beside, in the same run, the same
/// POST with no tag (method nearby: sign-in, parse, insert and distance only), and the crypto alone in-process.
/// </summary>
public static class CheckInBench
{
    public sealed record Options(int Clients, int PerClient, int Playgrounds, string? ConnectionString, string DataDirectory, string ReportFile);

    private sealed record Inspector(string Token, SunTagEmulator Tag, string AssetCode, double Lat, double Lon);

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_checkins");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        await BenchRegistry.GenerateAsync(db, options.Playgrounds, Console.WriteLine);
        var versions = await database.ServerVersionAsync(db);

        var keyFile = Path.Combine(options.DataDirectory, "checkin-keys", "tags.json");
        if (File.Exists(keyFile))
        {
            File.Delete(keyFile);
        }
        var keys = new TagKeyStore(keyFile);
        var inspectors = await PrepareAsync(db, keys, options.Clients);

        await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server"),
            extra: new() { ["Paju:Tags:KeyFile"] = keyFile });
        const int warmup = 100;
        const int rounds = 3;
        Console.WriteLine($"{options.Clients} clients × {options.PerClient} check-ins of each kind, in {rounds} alternating rounds (after {warmup} of each to warm up)");
        object Sun(Inspector i) => Body(i.Tag.Tap(), "nfc", null, i);
        object Nearby(Inspector i) => Body(null, "nearby", i.AssetCode, i);
        await RunClientsAsync(server.Address, inspectors, warmup, Nearby, "flagged");
        await RunClientsAsync(server.Address, inspectors, warmup, Sun, "verified");
        // Alternating rounds, so a drift of the machine (caches, tiered compilation, autovacuum) falls on both sides alike.
        var sun = new Run();
        var nearby = new Run();
        // The server's own measure of deciding (tag, SUN, counter, distance), read from its metric while the clients run.
        var verifySun = new Samples("verify");
        var verifyNearby = new Samples("verify");
        var recording = false;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CheckInVerifier.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, ms, tags, _) =>
        {
            if (!recording)
            {
                return;
            }
            var proof = tags.ToArray().FirstOrDefault(t => t.Key == "proof").Value as string;
            var into = proof == Proofs.Sun ? verifySun : verifyNearby;
            lock (into)
            {
                into.Add(ms);
            }
        });
        listener.Start();
        recording = true;
        for (var round = 0; round < rounds; round++)
        {
            nearby.Add(await RunClientsAsync(server.Address, inspectors, options.PerClient / rounds, Nearby, "flagged"));
            sun.Add(await RunClientsAsync(server.Address, inspectors, options.PerClient / rounds, Sun, "verified"));
        }
        recording = false;
        Console.WriteLine($"  verification alone (server metric): SUN p95 {verifySun.Percentile(95):F2} ms, nearby p95 {verifyNearby.Percentile(95):F2} ms");
        Console.WriteLine($"  SUN check-ins: p50 {sun.Samples.Percentile(50):F2} ms, p95 {sun.Samples.Percentile(95):F2} ms, {sun.PerSecond:N0}/s");
        Console.WriteLine($"  nearby (no tag): p50 {nearby.Samples.Percentile(50):F2} ms, p95 {nearby.Samples.Percentile(95):F2} ms, {nearby.PerSecond:N0}/s");

        // The cryptography alone: decrypt picc_data, derive the session key, check the MAC.
        var tag = inspectors[0].Tag;
        var sunKeys = keys.SunKeysOf(new Uri(tag.UrlFor(1)).Segments[^1])!;
        var urls = Enumerable.Range(1000, 2000).Select(c => TagUrl.Parse(tag.UrlFor(c)).Url!).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var url in urls)
        {
            var reading = SunMessage.DecryptPiccData(sunKeys.Meta, url.PiccData)!.Value;
            if (!SunMessage.MacMatches(sunKeys.File, reading, [], url.Cmac))
            {
                throw new InvalidOperationException("The emulator's MAC did not verify: the benchmark would measure the wrong thing.");
            }
        }
        var cryptoMicros = clock.Elapsed.TotalMicroseconds / urls.Count;
        Console.WriteLine($"  SUN crypto alone: {cryptoMicros:F1} µs per check-in");

        var p95 = verifySun.Percentile(95);
        var httpP95 = sun.Samples.Percentile(95);
        var markdown = $"""
            ## Check-ins: SUN verification under load

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench checkins` ({options.Clients} concurrent clients, {options.PerClient} check-ins of each kind per client in {rounds}
              alternating rounds, after {warmup} of each to warm up; {options.Playgrounds:N0} playgrounds)
            - Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Each client is an inspector with a bearer token and an NTAG 424 DNA tag (emulated,
              keys of its own) on a playground; every request is a fresh tap posted to `POST /api/checkins` from the playground's position.
            - "Verification" is the server's own metric `paju.checkin.verify.duration` (meter `{CheckInVerifier.MeterName}`), read while the clients
              run: the tag and its asset, SUN decrypt and MAC, the counter recorded per chip, PostGIS's distance on the spheroid. "Whole request"
              is what the client waits for: sign-in by bearer token, parse, verification, the check-in stored with its verdict and read back.
            - Baseline, in the same run and alternating with it: the same POST with no tag (`nearby`: the asset by code and its distance), so the
              ratio is what verifying a tap adds. The clients post back to back on a 2-core machine that also runs them and PostgreSQL, so the
              whole-request figures are those of a saturated machine (throughput × latency ≈ clients).

            | measure | n | p50 | p95 | p99 | check-ins/s | failed |
            |---|---|---|---|---|---|---|
            | verification of a SUN tap | {verifySun.Count} | {verifySun.Percentile(50):F2} ms | {p95:F2} ms | {verifySun.Percentile(99):F2} ms | | |
            | baseline: verification with no tag (nearby) | {verifyNearby.Count} | {verifyNearby.Percentile(50):F2} ms | {verifyNearby.Percentile(95):F2} ms | {verifyNearby.Percentile(99):F2} ms | | |
            | whole request, SUN tap (verified) | {sun.Samples.Count} | {sun.Samples.Percentile(50):F2} ms | {httpP95:F2} ms | {sun.Samples.Percentile(99):F2} ms | {sun.PerSecond:N0} | {sun.Failed} |
            | baseline: whole request, no tag | {nearby.Samples.Count} | {nearby.Samples.Percentile(50):F2} ms | {nearby.Samples.Percentile(95):F2} ms | {nearby.Samples.Percentile(99):F2} ms | {nearby.PerSecond:N0} | {nearby.Failed} |

            Ratio SUN / baseline at p95: verification {p95 / verifyNearby.Percentile(95):F2}, whole request {httpP95 / nearby.Samples.Percentile(95):F2}.
            SUN cryptography alone (decrypt, session key, MAC; in-process): {cryptoMicros:F1} µs per check-in.

            Goal: verification (SUN + counter + distance) p95 ≤ 20 ms at {options.Clients} concurrent clients — {p95:F2} ms: **{(p95 <= 20 && sun.Failed == 0 ? "met" : "not met")}**
            (the whole request: p95 {httpP95:F2} ms).
            """;
        Report.WriteSection(options.ReportFile, "checkins", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return sun.Failed == 0 && nearby.Failed == 0 ? 0 : 1;
    }

    private static object Body(string? url, string method, string? asset, Inspector i) => new
    {
        id = Guid.NewGuid(),
        method,
        url,
        asset,
        position = new { lat = i.Lat + 0.00005, lon = i.Lon },
        accuracy = 8.0,
    };

    /// <summary>Samples of several rounds together; the rate is all requests over all the rounds' time.</summary>
    private sealed class Run
    {
        private TimeSpan _elapsed;

        public Samples Samples { get; } = new("checkins");

        public int Failed { get; private set; }

        public double PerSecond => Samples.Count / _elapsed.TotalSeconds;

        public void Add((Samples Samples, TimeSpan Elapsed, int Failed) round)
        {
            foreach (var ms in round.Samples.Values)
            {
                Samples.Add(ms);
            }
            _elapsed += round.Elapsed;
            Failed += round.Failed;
        }
    }

    /// <summary>Every client posts <paramref name="perClient"/> check-ins back to back; each answer must carry the expected status.</summary>
    private static async Task<(Samples Samples, TimeSpan Elapsed, int Failed)> RunClientsAsync(Uri address, List<Inspector> inspectors, int perClient,
        Func<Inspector, object> body, string expectedStatus)
    {
        var samples = new Samples("checkins");
        var failed = 0;
        var gate = new Lock();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(inspectors.Select(inspector => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = address };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", inspector.Token);
            for (var n = 0; n < perClient; n++)
            {
                var one = Stopwatch.StartNew();
                using var response = await http.PostAsJsonAsync("/api/checkins", body(inspector));
                var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                var ms = one.Elapsed.TotalMilliseconds;
                var ok = response.IsSuccessStatusCode && answer.GetProperty("status").GetString() == expectedStatus;
                lock (gate)
                {
                    samples.Add(ms);
                    failed += ok ? 0 : 1;
                }
            }
        })));
        return (samples, clock.Elapsed, failed);
    }

    /// <summary>One inspector (with a token) and one NTAG 424 tag on a playground of its own per client.</summary>
    private static async Task<List<Inspector>> PrepareAsync(NpgsqlDataSource db, TagKeyStore keys, int clients)
    {
        var list = new List<Inspector>();
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var assets = new List<(long Id, string Code, string Name, double Lon, double Lat)>();
        await using (var cmd = new NpgsqlCommand(
            $"SELECT id, code, name, ST_X(geom), ST_Y(geom) FROM asset WHERE kind = 'playground' ORDER BY id LIMIT {clients}", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                assets.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetDouble(4)));
            }
        }
        for (var i = 0; i < clients; i++)
        {
            var a = assets[i];
            var user = await UserStore.CreateAsync(conn, tx, $"bench.inspector{i:00}", $"점검원 {i}", Roles.Inspector, "bench-password-42", default);
            var token = (await ApiTokens.IssueAsync(conn, tx, user.Id, "bench", TimeSpan.FromHours(4), default)).Token;
            var sunKeys = new SunKeys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
            var tag = await TagStore.AddAsync(conn, tx, keys, new AssetRef(a.Id, "playground", a.Code, a.Name), "ntag424", null, sunKeys, Actor.System("bench"), default);
            var uid = $"04BE{i:X2}00C0FFEE"[..14];
            list.Add(new Inspector(token, new SunTagEmulator("https://bench.example", tag.Id, sunKeys.Meta, sunKeys.File, uid), a.Code, a.Lat, a.Lon));
        }
        await tx.CommitAsync();
        return list;
    }
}
