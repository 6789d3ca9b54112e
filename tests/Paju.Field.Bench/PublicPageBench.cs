using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Seeding;
using Paju.Field.Server.Tags;

namespace Paju.Field.Bench;

/// <summary>
/// The plate's public page (/t/{tag}) for the 719 sample playgrounds with their history: each page's first, uncached render
/// over HTTP beside the two queries it rests on called directly; then a burst of scans at 32 clients from the cache beside
/// the same bytes as static files from a bare Kestrel.
/// </summary>
public static class PublicPageBench
{
    public sealed record Options(int Clients, TimeSpan LoadDuration, string? ConnectionString, string DataDirectory, string ReportFile);

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_public_page");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        var keyFile = Path.Combine(options.DataDirectory, "public-page-keys", "tags.json");
        if (File.Exists(keyFile))
        {
            File.Delete(keyFile);
        }
        await SampleSeeder.SeedAsync(db, Actor.System("bench"), NullLogger.Instance, default, new TagKeyStore(keyFile));
        var plates = new List<(string Tag, long Asset)>();
        await using (var cmd = db.CreateCommand("SELECT t.id, t.asset_id FROM tag t JOIN asset a ON a.id = t.asset_id WHERE a.kind = 'playground' AND t.retired_at IS NULL ORDER BY t.id"))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plates.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }
        Console.WriteLine($"{plates.Count} playground plates");

        await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-public"),
            extra: new() { ["Paju:Tags:KeyFile"] = keyFile, ["Paju:Compliance:RunJob"] = "false" });
        using var http = new HttpClient { BaseAddress = server.Address };
        await WaitForCacheAsync(http, plates[0].Tag);

        // Uncached: every plate's first render (a cache miss each), sequentially; bare: the page's two queries straight to PostGIS.
        var uncached = new Samples("uncached");
        var bare = new Samples("bare");
        var sizes = new List<int>();
        foreach (var (tag, asset) in plates.Skip(1))
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync($"/t/{tag}");
            var bytes = await response.Content.ReadAsByteArrayAsync();
            uncached.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (response.Headers.GetValues("X-Page-Cache").Single() != "miss")
            {
                throw new InvalidOperationException($"/t/{tag} was already cached: the uncached figure would be wrong.");
            }
            sizes.Add(bytes.Length);
            started = Stopwatch.GetTimestamp();
            await using (var conn = await db.OpenConnectionAsync())
            {
                await TagStore.FindAsync(conn, null, tag, default);
                await PublicAssetStatus.ReadAsync(conn, asset, default);
            }
            bare.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        Console.WriteLine($"  uncached p95 {uncached.Percentile(95):F2} ms; its queries alone p95 {bare.Percentile(95):F2} ms");

        var urls = plates.Select(p => $"/t/{p.Tag}").ToArray();
        var cached = await HttpLoad.RunAsync(server.Address, urls, options.Clients, options.LoadDuration);
        Console.WriteLine($"  cached: {cached.PerSecond:N0} pages/s at {options.Clients} clients");
        var staticRoot = Directory.CreateTempSubdirectory("paju-bench-pages-").FullName;
        foreach (var (tag, _) in plates)
        {
            await File.WriteAllBytesAsync(Path.Combine(staticRoot, tag + ".html"), await http.GetByteArrayAsync($"/t/{tag}"));
        }
        await using var staticServer = await StaticServer.StartAsync(staticRoot);
        var baseline = await HttpLoad.RunAsync(staticServer.Address, plates.Select(p => $"/{p.Tag}.html").ToArray(), options.Clients, options.LoadDuration);
        Console.WriteLine($"  static files: {baseline.PerSecond:N0} files/s at {options.Clients} clients");
        Directory.Delete(staticRoot, recursive: true);

        var markdown = $"""
            ## Public page (/t/{"{tag}"})

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench public-page` ({plates.Count} sample playgrounds with their six months of history and a plate each; {options.Clients} clients for {options.LoadDuration.TotalSeconds:F0} s per throughput figure)
            - Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Uncached is each plate's first request (a cache miss each, sequential); bare is the
              page's two queries (the plate, the asset's state) called directly in the same run. Cached is a burst of scans over all plates from the
              server's page cache; the baseline serves the very same bytes as static files from a bare Kestrel. Pages are {sizes.Average() / 1024:F1} KiB on average.

            {Report.LatencyTable([("a plate's page, first request (uncached)", uncached, bare)])}
            | throughput at {options.Clients} concurrent clients | requests/s |
            |---|---|
            | cached pages from the server | {cached.PerSecond:N0} |
            | the same bytes as static files from a bare Kestrel | {baseline.PerSecond:N0} |
            | ratio | {cached.PerSecond / baseline.PerSecond:P0} |

            Goals: cached ≥ 2,000 req/s at {options.Clients} clients — **{(cached.PerSecond >= 2000 ? "met" : "not met")}** ({cached.PerSecond:N0});
            uncached p95 ≤ 50 ms — **{(uncached.Percentile(95) <= 50 ? "met" : "not met")}** ({uncached.Percentile(95):F2} ms).
            """;
        Report.WriteSection(options.ReportFile, "public-page", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return 0;
    }

    /// <summary>The page cache turns on once its server listens for changes; until then every request is a miss.</summary>
    private static async Task WaitForCacheAsync(HttpClient http, string tag)
    {
        for (var i = 0; i < 300; i++)
        {
            using var response = await http.GetAsync($"/t/{tag}");
            if (response.Headers.GetValues("X-Page-Cache").Single() == "hit")
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException("The public page cache did not start.");
    }
}
