using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using Paju.Field.Geography;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ogc;

namespace Paju.Field.Bench;

/// <summary>
/// OGC API items at 1k and 100k playgrounds: the first page, a deep keyset page (offset ≥ 50,000),
/// numberMatched over the whole city, page 1, 50 and the last of a ~12,000-match bbox (sequential and at
/// 32 connections), and a first request for a bbox never asked before (a QGIS pan) — each over HTTP beside
/// the bare SQL the server runs for it (FeatureQueries with a count cache of its own, like the server's),
/// in the same run.
/// </summary>
public static class OgcBench
{
    public sealed record Options(int[] Sizes, int Iterations, int Warmup, string? ConnectionString, string DataDirectory, string ReportFile);

    public static async Task<int> RunAsync(Options options)
    {
        var collection = OgcCatalog.Find("playground")!;
        var cityBbox = $"{PajuExtent.MinLon},{PajuExtent.MinLat},{PajuExtent.MaxLon},{PajuExtent.MaxLat}";
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var sections = new StringBuilder();
        string? versions = null;

        foreach (var size in options.Sizes)
        {
            Console.WriteLine($"Dataset of {size:N0} playgrounds");
            var connectionString = await database.CreateAsync($"bench_ogc_{size}");
            await using var db = DatabaseSession.CreateDataSource(connectionString);
            await BenchRegistry.GenerateAsync(db, size, Console.WriteLine);
            versions ??= await database.ServerVersionAsync(db);

            var deepOffset = size >= 100_000 ? 50_000 : size / 2;
            await using var deepCmd = db.CreateCommand($"SELECT id FROM asset WHERE kind = 'playground' ORDER BY id OFFSET {deepOffset} LIMIT 1");
            var deepAfter = (long)(await deepCmd.ExecuteScalarAsync())!;

            await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server"));
            using var http = new HttpClient { BaseAddress = server.Address };
            var rows = new List<(string, Samples, Samples)>();
            var bareCounts = new CountCache();
            // A registry change (an import, an edit) bumps the revision: the next count is computed afresh.
            Func<Task> registryChanged = async () =>
            {
                await using var bump = db.CreateCommand("UPDATE registry_revision SET revision = revision + 1");
                await bump.ExecuteNonQueryAsync();
            };
            foreach (var (name, query, prepare) in new (string, string, Func<Task>?)[]
            {
                ("first page, 100 features", "limit=100", null),
                ($"deep page at offset {deepOffset:N0} (keyset), 100 features", $"limit=100&after={deepAfter}", null),
                ("numberMatched over the whole city (bbox = Paju)", $"limit=1&bbox={cityBbox}", null),
                ("first page, 100 features, right after a registry change (count recomputed)", "limit=100", registryChanged),
                ("numberMatched over the whole city, right after a registry change", $"limit=1&bbox={cityBbox}", registryChanged),
            })
            {
                var url = $"/ogc/collections/playground/items?{query}";
                var request = ItemsRequest.Parse(new QueryCollection(QueryHelpers.ParseQuery(query)), collection).Request!;
                var check = await FeatureQueries.PageAsync(db, collection, request, counts: null, default);
                if (check.NumberMatched != size)
                {
                    throw new InvalidOperationException($"numberMatched {check.NumberMatched} for {size} rows: the benchmark would measure the wrong query.");
                }
                var viaHttp = await Samples.MeasureAsync(name, options.Warmup, options.Iterations, async () =>
                {
                    using var response = await http.GetAsync(url);
                    response.EnsureSuccessStatusCode();
                    await response.Content.ReadAsByteArrayAsync();
                }, prepare);
                // Like with like: the bare side keeps exact counts in a cache of its own, under the same revision rule.
                var bare = await Samples.MeasureAsync(name, options.Warmup, options.Iterations,
                    () => FeatureQueries.PageAsync(db, collection, request, bareCounts, default), prepare);
                Console.WriteLine($"  {name}: HTTP p95 {viaHttp.Percentile(95):F2} ms, bare SQL p95 {bare.Percentile(95):F2} ms");
                rows.Add((name, viaHttp, bare));
            }
            // A ~12,000-match bbox around the densest 읍면동, and its first, fiftieth and last page of 10.
            var bbox = await BboxOfAboutAsync(db, Math.Min(12_000, size / 8));
            var matches = await MatchesAsync(db, bbox);
            var pages = new (string Name, long? After)[]
            {
                ("page 1", null),
                // Page 50 where the box holds 500 or more; the middle page of a smaller one.
                (matches > 500 ? "page 50" : "middle page", await IdAtAsync(db, bbox, Math.Min(489, matches / 2))),
                ("last page", await IdAtAsync(db, bbox, Math.Max(0, matches - 11))),
            };
            var throughput = new List<(string, double)>();
            foreach (var (pageName, after) in pages)
            {
                var query = $"limit=10&bbox={bbox}" + (after is { } a ? $"&after={a}" : "");
                var name = $"{pageName} of a {matches:N0}-match bbox, 10 features";
                var request = ItemsRequest.Parse(new QueryCollection(QueryHelpers.ParseQuery(query)), collection).Request!;
                var viaHttp = await Samples.MeasureAsync(name, options.Warmup, options.Iterations, async () =>
                {
                    using var response = await http.GetAsync($"/ogc/collections/playground/items?{query}");
                    response.EnsureSuccessStatusCode();
                    await response.Content.ReadAsByteArrayAsync();
                });
                var bare = await Samples.MeasureAsync(name, options.Warmup, options.Iterations,
                    () => FeatureQueries.PageAsync(db, collection, request, bareCounts, default));
                Console.WriteLine($"  {name}: HTTP p95 {viaHttp.Percentile(95):F2} ms, bare SQL p95 {bare.Percentile(95):F2} ms");
                rows.Add((name, viaHttp, bare));
                throughput.Add((name, await ThroughputAsync(server.Address, $"/ogc/collections/playground/items?{query}", 32, TimeSpan.FromSeconds(10))));
            }

            // What a QGIS pan asks: a view-sized bbox never asked before, so the count is not cached (new bboxes each time, both sides).
            var pans = NewBboxes(options.Warmup + options.Iterations, seed: size);
            var panIndex = 0;
            var panHttp = await Samples.MeasureAsync("first request for a new bbox (a pan), 10 features", options.Warmup, options.Iterations, async () =>
            {
                using var response = await http.GetAsync($"/ogc/collections/playground/items?limit=10&bbox={pans[panIndex++ % pans.Count]}");
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
            });
            var barePans = NewBboxes(options.Warmup + options.Iterations, seed: size + 1);
            var barePanIndex = 0;
            var panBare = await Samples.MeasureAsync("first request for a new bbox (a pan), 10 features", options.Warmup, options.Iterations, () =>
            {
                var request = ItemsRequest.Parse(new QueryCollection(QueryHelpers.ParseQuery($"limit=10&bbox={barePans[barePanIndex++ % barePans.Count]}")), collection).Request!;
                return FeatureQueries.PageAsync(db, collection, request, bareCounts, default);
            });
            Console.WriteLine($"  new bbox: HTTP p95 {panHttp.Percentile(95):F2} ms, bare SQL p95 {panBare.Percentile(95):F2} ms");
            rows.Add(("first request for a new bbox (a pan), 10 features", panHttp, panBare));

            sections.AppendLine($"#### {size:N0} playgrounds").AppendLine().Append(Report.LatencyTable(rows)).AppendLine();
            sections.AppendLine($"| at 32 connections, 10 s each | requests/s |").AppendLine("|---|---|");
            foreach (var (name, perSecond) in throughput)
            {
                sections.AppendLine($"| {name} | {perSecond:N0} |");
            }
            sections.AppendLine();
            if (size >= 100_000)
            {
                var pan = panHttp.Percentile(95);
                var deep = rows.Single(r => r.Item1.StartsWith("page 50", StringComparison.Ordinal)).Item2.Percentile(50);
                var first = rows.Single(r => r.Item1.StartsWith("page 1 ", StringComparison.Ordinal)).Item2.Percentile(50);
                sections.AppendLine($"Goals at 100k: a new bbox p95 ≤ 30 ms — {pan:F2} ms: **{(pan <= 30 ? "met" : "not met")}**; page 50 costs what page 1 does — p50 {deep:F2} against {first:F2} ms: **{(deep <= first * 1.25 + 0.5 ? "met" : "not met")}**.").AppendLine();
            }
            var goal = rows.Where(r => r.Item1.Contains("100 features")).Max(r => r.Item2.Percentile(95));
            if (size >= 100_000)
            {
                sections.AppendLine($"Goal at 100k: p95 ≤ 30 ms for 100-feature pages — worst p95 here {goal:F2} ms: **{(goal <= 30 ? "met" : "not met")}**.").AppendLine();
            }
        }

        var markdown = $"""
            ## OGC API – Features: items latency

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench ogc` ({options.Iterations} requests per figure after {options.Warmup} warm-up, one client, sequential)
            - Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Data: playgrounds generated straight into the database around the 읍면동
              representative points weighted like the child population (seed {BenchRegistry.Seed}), then VACUUM ANALYZE.
            - "HTTP" is the whole request through Kestrel (JSON, links, exact numberMatched); "bare SQL" is the same queries the
              server runs for it (page, next/prev probe, exact count) called directly, in the same run, with a count cache of its own
              under the same rule as the server's: both sides count afresh exactly when the server would.
            - The new-bbox rows ask a view-sized box (about 2 × 1.7 km) never asked before on every request, as a QGIS pan does.
            - numberMatched is exact: counts are cached under the registry revision they were computed at and reused only
              while no write has touched the registry (migration 0002). The "right after a registry change" rows bump the
              revision before every request (outside the timing), so each of those requests recounts.

            {sections}
            """;
        Report.WriteSection(options.ReportFile, "ogc", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return 0;
    }

    /// <summary>A square bbox around the densest 읍면동's point, grown until it holds about <paramref name="target"/> playgrounds.</summary>
    private static async Task<string> BboxOfAboutAsync(NpgsqlDataSource db, long target)
    {
        var densest = Paju.Field.Server.Seeding.RepresentativePoints.All.MaxBy(u => u.PlaygroundWeight)!;
        var (low, high) = (0.0005, 0.2);
        var bbox = "";
        for (var i = 0; i < 30; i++)
        {
            var half = (low + high) / 2;
            bbox = FormattableString.Invariant($"{densest.Lon - half:F5},{densest.Lat - half:F5},{densest.Lon + half:F5},{densest.Lat + half:F5}");
            var n = await MatchesAsync(db, bbox);
            if (Math.Abs(n - target) < target / 50)
            {
                break;
            }
            (low, high) = n < target ? (half, high) : (low, half);
        }
        return bbox;
    }

    private static async Task<long> MatchesAsync(NpgsqlDataSource db, string bbox)
    {
        await using var cmd = db.CreateCommand($"SELECT count(*) FROM asset WHERE kind = 'playground' AND status = 'active' AND ST_Intersects(geom, ST_MakeEnvelope({bbox}, 4326))");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<long> IdAtAsync(NpgsqlDataSource db, string bbox, long offset)
    {
        await using var cmd = db.CreateCommand($"SELECT id FROM asset WHERE kind = 'playground' AND status = 'active' AND ST_Intersects(geom, ST_MakeEnvelope({bbox}, 4326)) ORDER BY id OFFSET {offset} LIMIT 1");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>View-sized boxes (0.022° × 0.015°, about 2 × 1.7 km) at random places in the city, each different.</summary>
    private static List<string> NewBboxes(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var lon = PajuExtent.MinLon + random.NextDouble() * (PajuExtent.MaxLon - PajuExtent.MinLon - 0.022);
            var lat = PajuExtent.MinLat + random.NextDouble() * (PajuExtent.MaxLat - PajuExtent.MinLat - 0.015);
            return FormattableString.Invariant($"{lon:F6},{lat:F6},{lon + 0.022:F6},{lat + 0.015:F6}");
        })];
    }

    /// <summary>Requests per second at <paramref name="clients"/> connections asking the same URL as fast as answered.</summary>
    private static async Task<double> ThroughputAsync(Uri server, string url, int clients, TimeSpan duration)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients };
        using var http = new HttpClient(handler) { BaseAddress = server };
        (await http.GetAsync(url)).Dispose();
        long requests = 0;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (stopwatch.Elapsed < duration)
            {
                using var response = await http.GetAsync(url);
                await response.Content.ReadAsByteArrayAsync();
                Interlocked.Increment(ref requests);
            }
        }));
        return requests / stopwatch.Elapsed.TotalSeconds;
    }
}
