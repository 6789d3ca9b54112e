using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Seeding;
using SkiaSharp;

namespace Paju.Field.Bench;

/// <summary>
/// The inspector app on a phone with one bar of signal: headless Chromium at 360×800 with the network throttled over CDP
/// (150 ms round trip, 1.6 Mbps down, 750 kbps up), against the real server holding the sample city. (A) Cold loads (a new
/// browser profile each: no cache, no service worker) to the app's interactive mark, and warm loads of the same phone once
/// its service worker is in charge; the scripts fetched before that mark. (B) 20 inspections with 3 photos of 500 KB each,
/// filed offline through the app, then sent when the signal returns: the time until the outbox is empty, beside the
/// time the uplink itself needs for those bytes.
/// </summary>
public static class InspectorBench
{
    public sealed record Options(int Loads, int Inspections, int PhotosEach, string? ConnectionString, string DataDirectory, string ReportFile);

    private const string Username = "bench.inspector", Password = "bench-inspector-password-1";
    private const int RoundTripMs = 150, DownKbps = 1600, UpKbps = 750, PhotoBytes = 500 * 1024;

    private sealed record Load(double Interactive, double DomReady, long ScriptBytes, long ScriptGzip, List<string> Scripts, string From);

    public static async Task<int> RunAsync(Options options)
    {
        if (!BenchBrowser.IsAvailable())
        {
            return 2;
        }
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_inspector");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        Console.WriteLine("Loading the sample city (719 playgrounds, 177 public-use facilities, their programs)…");
        await SampleSeeder.SeedAsync(db, Actor.System("bench"), NullLogger.Instance, default);
        var codes = await PrepareAsync(db, options.Inspections);
        await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-inspector"));
        var origin = server.Address.ToString().TrimEnd('/');

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BenchBrowser.LaunchAsync(playwright);
        // Signed in once, unthrottled; each cold load starts from this cookie and nothing else.
        string signedIn;
        await using (var context = await NewPhoneAsync(browser, origin, null))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync("/login");
            await page.GetByLabel("아이디").FillAsync(Username);
            await page.GetByLabel("비밀번호").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
            await page.WaitForURLAsync("**/inspector/**");
            signedIn = await context.StorageStateAsync();
        }

        Console.WriteLine($"A. {options.Loads} cold loads and {options.Loads} warm loads at {RoundTripMs} ms / {DownKbps / 1000.0:F1} Mbps down / {UpKbps} kbps up");
        var cold = new List<Load>();
        var warm = new List<Load>();
        IBrowserContext? phone = null;
        IPage? app = null;
        for (var i = 0; i <= options.Loads; i++)
        {
            if (phone is not null)
            {
                await phone.DisposeAsync();
            }
            phone = await NewPhoneAsync(browser, origin, signedIn);
            app = await phone.NewPageAsync();
            await ThrottleAsync(app);
            await app.GotoAsync("/inspector/");
            var first = await LoadAsync(app);
            await WaitForServiceWorkerAsync(app);
            await app.ReloadAsync();
            var again = await LoadAsync(app);
            if (i == 0)
            {
                continue;   // the first pair warms the server's caches and the browser's compile cache
            }
            cold.Add(first);
            warm.Add(again);
            Console.WriteLine($"  load {i}: cold {first.Interactive:F0} ms ({first.ScriptGzip / 1024.0:F1} KB gzip of script, from {first.From}), warm {again.Interactive:F0} ms (from {again.From})");
        }

        // B. The last phone files the inspections offline, then the signal returns.
        Console.WriteLine($"B. {options.Inspections} inspections × {options.PhotosEach} photos of {PhotoBytes / 1024} KB filed offline, then sent at {UpKbps} kbps up");
        var photos = Enumerable.Range(0, options.PhotosEach).Select(k => new FilePayload
        {
            Name = $"photo-{k}.jpg", MimeType = "image/jpeg", Buffer = NoiseJpeg(PhotoBytes, seed: k),
        }).ToArray();
        var uploadBytes = (long)options.Inspections * photos.Sum(p => p.Buffer.Length);
        await phone!.SetOfflineAsync(true);
        var filing = Stopwatch.StartNew();
        for (var n = 0; n < options.Inspections; n++)
        {
            await FileOfflineAsync(app!, codes[n], photos);
        }
        Console.WriteLine($"  filed in {filing.Elapsed.TotalSeconds:F1} s; {uploadBytes / 1048576.0:F1} MB of photos waiting");
        await phone.SetOfflineAsync(false);
        await ThrottleAsync(app!);   // going offline and back resets the emulated conditions
        var sending = Stopwatch.StartNew();
        await app!.EvaluateAsync("() => window.dispatchEvent(new Event('online'))");
        var lastReport = TimeSpan.Zero;
        while (true)
        {
            var done = await app.Locator("#outbox li[data-state=done]").CountAsync();
            if (done == options.Inspections)
            {
                break;
            }
            if (await app.Locator("#outbox li[data-state=error]").CountAsync() > 0)
            {
                throw new InvalidOperationException("An inspection failed to send: " + await app.Locator("#outbox li[data-state=error]").First.InnerTextAsync());
            }
            if (sending.Elapsed - lastReport >= TimeSpan.FromSeconds(20))
            {
                lastReport = sending.Elapsed;
                Console.WriteLine($"  {done} of {options.Inspections} sent after {lastReport.TotalSeconds:F0} s");
            }
            if (sending.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new TimeoutException($"{done} of {options.Inspections} inspections sent in 30 minutes");
            }
            await Task.Delay(250);
        }
        var syncTime = sending.Elapsed;
        var stored = await CountAsync(db, "SELECT count(*) FROM inspection_photo WHERE received_at IS NOT NULL");
        await phone.DisposeAsync();
        var linkTime = uploadBytes * 8.0 / (UpKbps * 1000);
        Console.WriteLine($"  all sent in {syncTime.TotalSeconds:F1} s ({stored} photos stored); the uplink alone needs {linkTime:F0} s for those bytes");

        WriteReport(options, versions, cold, warm, syncTime, linkTime, uploadBytes, stored);
        var ok = Samples(cold, l => l.Interactive).Percentile(95) <= 5000 && Samples(warm, l => l.Interactive).Percentile(95) <= 1500
            && cold.Max(l => l.ScriptGzip) <= 150 * 1024 && stored == (long)options.Inspections * options.PhotosEach;
        return ok ? 0 : 1;
    }

    private static Samples Samples(IEnumerable<Load> loads, Func<Load, double> value)
    {
        var samples = new Samples("loads");
        foreach (var load in loads)
        {
            samples.Add(value(load));
        }
        return samples;
    }

    private static void WriteReport(Options options, string versions, List<Load> cold, List<Load> warm, TimeSpan sync, double linkSeconds, long bytes, long stored)
    {
        var coldI = Samples(cold, l => l.Interactive);
        var coldDom = Samples(cold, l => l.DomReady);
        var warmI = Samples(warm, l => l.Interactive);
        var warmDom = Samples(warm, l => l.DomReady);
        var heaviest = cold.MaxBy(l => l.ScriptGzip)!;
        static string Goal(bool met) => met ? "met" : "**not met**";
        var markdown = $"""
            ## Inspector app on a slow phone network

            - Machine: {Machine.Describe()}; {versions}; Chromium headless at 360×800 (mobile, touch)
            - Command: `./paju bench inspector` (`--loads {options.Loads} --inspections {options.Inspections} --photos {options.PhotosEach}`) — run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.
            - Network: CDP `Network.emulateNetworkConditions`, {RoundTripMs} ms round trip, {DownKbps / 1000.0:F1} Mbps down, {UpKbps} kbps up; the server
              holds the sample city (719 playgrounds, 177 public-use facilities), so the day's snapshot is the real size.
            - "Interactive" is the app's own mark: the first screen drawn with the day's assets (`window.pajuInspector.readyAt`, ms from
              navigation start). Cold: a new browser profile each time (no cache, no service worker). Warm: the same phone reloaded once
              its service worker is in charge (the shell from the phone, the day's copy from IndexedDB, refreshed behind).

            | load | n | interactive p50 | p95 | max | DOMContentLoaded p95 | interactive ÷ DOMContentLoaded at p95 | goal |
            |---|---|---|---|---|---|---|---|
            | cold | {coldI.Count} | {coldI.Percentile(50):F0} ms | {coldI.Percentile(95):F0} ms | {coldI.Values.Max():F0} ms | {coldDom.Percentile(95):F0} ms | {coldI.Percentile(95) / coldDom.Percentile(95):F1}× | ≤ 5,000 ms: {Goal(coldI.Percentile(95) <= 5000)} |
            | warm | {warmI.Count} | {warmI.Percentile(50):F0} ms | {warmI.Percentile(95):F0} ms | {warmI.Values.Max():F0} ms | {warmDom.Percentile(95):F0} ms | {warmI.Percentile(95) / warmDom.Percentile(95):F1}× | ≤ 1,500 ms: {Goal(warmI.Percentile(95) <= 1500)} |

            **Script before the first interaction** (cold): {heaviest.ScriptGzip / 1024.0:F1} KB gzip ({heaviest.ScriptBytes / 1024.0:F1} KB as sent) in
            {heaviest.Scripts.Count} files — {string.Join(", ", heaviest.Scripts.Select(s => $"`{s}`"))}; goal ≤ 150 KB gzip: {Goal(heaviest.ScriptGzip <= 150 * 1024)}.
            No map library and no QR decoder on that path: the scanner, its WebAssembly and the photo code load when first used.

            **Sending a day's work**: {options.Inspections} inspections × {options.PhotosEach} photos ({bytes / 1048576.0:F1} MB of photos, 256 KB chunks) filed
            offline, then the signal returns: all sent and acknowledged in **{sync.TotalSeconds:F0} s** ({stored} photos stored); the uplink alone needs
            {linkSeconds:F0} s for those bytes, so the outbox takes {sync.TotalSeconds / linkSeconds:F2}× the link's own time.
            """;
        Report.WriteSection(options.ReportFile, "inspector", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
    }

    private static Task<IBrowserContext> NewPhoneAsync(IBrowser browser, string origin, string? storageState) => browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = origin, ViewportSize = new ViewportSize { Width = 360, Height = 800 }, IsMobile = true, HasTouch = true,
        Locale = "ko-KR", TimezoneId = "Asia/Seoul", StorageState = storageState, Permissions = ["geolocation"],
        Geolocation = new Geolocation { Latitude = 37.7599f, Longitude = 126.7802f, Accuracy = 10 },
    });

    private static async Task ThrottleAsync(IPage page)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = RoundTripMs, ["downloadThroughput"] = DownKbps * 1000 / 8, ["uploadThroughput"] = UpKbps * 1000 / 8,
        });
    }

    /// <summary>Waits for the app's interactive mark, then reads what the page fetched as script before it.</summary>
    private static async Task<Load> LoadAsync(IPage page)
    {
        var deadline = Stopwatch.StartNew();
        while (!await page.EvaluateAsync<bool>("() => typeof window.pajuInspector?.readyAt === 'number'"))
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("The inspector app did not become interactive within 2 minutes.");
            }
            await Task.Delay(20);
        }
        var marks = await page.EvaluateAsync<System.Text.Json.JsonElement>("""
            () => {
              const ready = window.pajuInspector.readyAt;
              const scripts = performance.getEntriesByType('resource')
                .filter(e => e.name.endsWith('.js') && e.responseEnd <= ready)
                .map(e => ({ url: new URL(e.name).pathname, bytes: e.encodedBodySize }));
              return { interactive: ready, domReady: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                       from: window.pajuInspector.from, scripts };
            }
            """);
        var scripts = marks.GetProperty("scripts").EnumerateArray()
            .Select(e => (Url: e.GetProperty("url").GetString()!, Bytes: e.GetProperty("bytes").GetInt64())).ToList();
        // What gzip makes of those scripts (the server compresses them; a service worker's copy reports no bytes sent).
        var gzip = 0L;
        foreach (var script in scripts)
        {
            var file = Path.Combine(AppContext.BaseDirectory, "wwwroot", script.Url.TrimStart('/'));
            var bytes = await File.ReadAllBytesAsync(file);
            using var buffer = new MemoryStream();
            await using (var zip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                await zip.WriteAsync(bytes);
            }
            gzip += buffer.Length;
        }
        return new Load(marks.GetProperty("interactive").GetDouble(), marks.GetProperty("domReady").GetDouble(), scripts.Sum(s => s.Bytes), gzip,
            [.. scripts.Select(s => s.Url)], marks.GetProperty("from").GetString()!);
    }

    private static async Task WaitForServiceWorkerAsync(IPage page)
    {
        var deadline = Stopwatch.StartNew();
        while (!await page.EvaluateAsync<bool>("() => navigator.serviceWorker.controller !== null"))
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException("The service worker did not take charge within 3 minutes.");
            }
            await Task.Delay(100);
        }
        // The precache is complete once the worker is active and controlling; its cache then holds every asset.
    }

    /// <summary>One monthly check filed through the app with no signal: every item 양호, the photos chosen and made ready, submitted to the outbox.</summary>
    private static async Task FileOfflineAsync(IPage page, string code, FilePayload[] photos)
    {
        await page.EvaluateAsync($"() => {{ location.hash = '#/inspect/playground/{code}/playground-monthly'; }}");
        await page.Locator("form fieldset").First.WaitForAsync();
        foreach (var fieldset in await page.Locator("fieldset[data-item]").AllAsync())
        {
            var good = fieldset.GetByRole(AriaRole.Radio, new() { Name = "양호" });
            if (await good.CountAsync() > 0)
            {
                await good.First.CheckAsync();
            }
        }
        await page.GetByLabel("사진 더하기").SetInputFilesAsync(photos);
        var ready = Stopwatch.StartNew();
        while (!await page.EvaluateAsync<bool>("n => { const l = document.querySelectorAll('#photos + .photo-lines li'); return l.length === n && ![...l].some(i => i.textContent.includes('준비하는 중')); }", photos.Length))
        {
            if (ready.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException("The photos were not made ready within a minute.");
            }
            await Task.Delay(50);
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "보관함" }).WaitForAsync();
    }

    /// <summary>A JPEG of noise just under <paramref name="bytes"/> and well under 1600 px: the app sends it as it is.</summary>
    private static byte[] NoiseJpeg(int bytes, int seed)
    {
        var random = new Random(seed);
        byte[] Encode(int side)
        {
            using var bitmap = new SKBitmap(side, side);
            var pixels = new byte[side * side * 4];
            random.NextBytes(pixels);
            for (var i = 3; i < pixels.Length; i += 4)
            {
                pixels[i] = 255;
            }
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            return data.ToArray();
        }
        var side = 400;
        var jpeg = Encode(side);
        // Grow while the next size still fits; noise makes a little over a byte a pixel at quality 90.
        while (true)
        {
            var next = (int)(side * Math.Sqrt((double)bytes / jpeg.Length) * 0.99);
            if (next <= side)
            {
                return jpeg;
            }
            var bigger = Encode(next);
            if (bigger.Length > bytes)
            {
                return jpeg;
            }
            (side, jpeg) = (next, bigger);
        }
    }

    private static async Task<List<string>> PrepareAsync(NpgsqlDataSource db, int inspections)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await UserStore.CreateAsync(conn, tx, Username, "벤치 점검원", Roles.Inspector, Password, default);
        var codes = new List<string>();
        await using (var cmd = new NpgsqlCommand($"SELECT code FROM asset WHERE kind = 'playground' AND status = 'active' ORDER BY code LIMIT {inspections}", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                codes.Add(reader.GetString(0));
            }
        }
        await tx.CommitAsync();
        return codes;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
