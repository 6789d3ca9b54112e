using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Paju.Field.Server.Database;
using Paju.Field.Server.Tiles;

namespace Paju.Field.Bench;

/// <summary>
/// Vector tiles on the 100k dataset: a fixed sample of tiles across z5–z16 (the densest tile of each
/// zoom, random non-empty ones, a few empty ones), uncached latency beside the bare PostGIS time of
/// the same tile, and cached throughput at 32 clients beside Kestrel serving the same bytes as
/// static files, all in one run.
/// </summary>
public static class TileBench
{
    public sealed record Options(int Size, int Rounds, int Clients, TimeSpan LoadDuration, string? ConnectionString, string DataDirectory, string ReportFile);

    private const string TilesetId = "all";

    // A registry at rest: the overdue job, run at a server's start, would rewrite the flags of thousands of generated
    // playgrounds in the middle of the measurement (the tiles change under it); in production it runs after midnight.
    private static readonly Dictionary<string, string?> AtRest = new() { ["Paju:Compliance:RunJob"] = "false" };
    private const int SampleSeed = 77;

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_tiles");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        await BenchRegistry.GenerateAsync(db, options.Size, Console.WriteLine);
        var versions = await database.ServerVersionAsync(db);
        var tileset = TileCatalog.Find(TilesetId)!;

        var sample = await SampleTilesAsync(db);
        Console.WriteLine($"Sample: {sample.Count} tiles over z5–z16");

        // Uncached: the server with its tile cache off; bare: the same SQL straight to PostGIS.
        var uncachedDir = Path.Combine(options.DataDirectory, "server-uncached");
        await using (var uncachedServer = await BenchServer.StartAsync(connectionString, uncachedDir, cacheEnabled: false, extra: AtRest))
        {
            using var http = new HttpClient { BaseAddress = uncachedServer.Address };
            var uncached = new Samples("uncached");
            var bare = new Samples("bare");
            var sizes = new Dictionary<(int, int, int), byte[]>();
            var renders = new Dictionary<(int, int, int), HashSet<string>>();
            // A warm server is measured, not its start: a few unmeasured passes of both paths let the runtime finish
            // compiling the request path to its optimised tier (its background compiles would otherwise land in the
            // first measured rounds, on the HTTP side only) and fill the plan cache and connection pools.
            for (var round = 0; round < WarmRounds; round++)
            {
                foreach (var t in sample)
                {
                    using var response = await http.GetAsync($"/tiles/{TilesetId}/{t.Z}/{t.X}/{t.Y}.mvt");
                    await response.Content.ReadAsByteArrayAsync();
                    await TileRenderer.RenderAsync(db, tileset, t.Z, t.X, t.Y, default);
                }
            }
            for (var round = 0; round < options.Rounds; round++)
            {
                foreach (var t in sample)
                {
                    // Which path goes first alternates by round, so neither always finds the other's pages just read.
                    if (round % 2 == 1)
                    {
                        bare.Add(await TimeBareAsync(db, tileset, t));
                    }
                    var started = Stopwatch.GetTimestamp();
                    using var response = await http.GetAsync($"/tiles/{TilesetId}/{t.Z}/{t.X}/{t.Y}.mvt");
                    var bytes = await response.Content.ReadAsByteArrayAsync();
                    uncached.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    sizes[(t.Z, t.X, t.Y)] = bytes;
                    // Every render of a tile must be the same bytes: its ETag is a content hash that holds across servers.
                    (renders.TryGetValue((t.Z, t.X, t.Y), out var seen) ? seen : renders[(t.Z, t.X, t.Y)] = [])
                        .Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)));
                    if (round % 2 == 0)
                    {
                        bare.Add(await TimeBareAsync(db, tileset, t));
                    }
                }
            }
            var nonEmpty = sample.Count(t => sizes[(t.Z, t.X, t.Y)].Length > 0);
            Console.WriteLine($"  uncached p95 {uncached.Percentile(95):F2} ms; bare ST_AsMVT p95 {bare.Percentile(95):F2} ms; {nonEmpty}/{sample.Count} non-empty");

            // Cached: the server with its cache on, warmed; then the same bytes as static files.
            var cachedDir = Path.Combine(options.DataDirectory, "server-cached");
            await using var cachedServer = await BenchServer.StartAsync(connectionString, cachedDir, cacheEnabled: true, extra: AtRest);
            var urls = sample.Select(t => $"/tiles/{TilesetId}/{t.Z}/{t.X}/{t.Y}.mvt").ToArray();
            await WaitForCacheAsync(cachedServer.Address, urls[0]);
            var cached = await HttpLoad.RunAsync(cachedServer.Address, urls, options.Clients, options.LoadDuration);
            Console.WriteLine($"  cached: {cached.PerSecond:N0} tiles/s at {options.Clients} clients");

            var staticRoot = Directory.CreateTempSubdirectory("paju-bench-static-").FullName;
            foreach (var ((z, x, y), bytes) in sizes)
            {
                Directory.CreateDirectory(Path.Combine(staticRoot, $"{z}", $"{x}"));
                await File.WriteAllBytesAsync(Path.Combine(staticRoot, $"{z}", $"{x}", $"{y}.mvt"), bytes);
            }
            await using var staticServer = await StaticServer.StartAsync(staticRoot, (".mvt", TileEndpoints.MediaType));
            var staticUrls = sample.Select(t => $"/{t.Z}/{t.X}/{t.Y}.mvt").ToArray();
            var baseline = await HttpLoad.RunAsync(staticServer.Address, staticUrls, options.Clients, options.LoadDuration);
            Console.WriteLine($"  static files: {baseline.PerSecond:N0} files/s at {options.Clients} clients");

            var ratio = cached.PerSecond / baseline.PerSecond;
            var meanSize = sizes.Values.Where(b => b.Length > 0).Average(b => b.Length);
            var perZoom = new StringBuilder();
            perZoom.AppendLine("| zoom | tiles | non-empty | densest tile | its size | uncached p50 / p95 | bare ST_AsMVT p50 / p95 | ratio at p95 (difference) | renders identical |");
            perZoom.AppendLine("|---|---|---|---|---|---|---|---|---|");
            var worstP95 = 0.0;
            var worstRatio = 0.0;
            foreach (var group in sample.GroupBy(t => t.Z))
            {
                var densest = group.First();
                var latencies = ZoomLatencies(uncached, sample, group.Key, options.Rounds);
                var bareLatencies = ZoomLatencies(bare, sample, group.Key, options.Rounds);
                var zoomRatio = latencies.Percentile(95) / bareLatencies.Percentile(95);
                worstP95 = Math.Max(worstP95, latencies.Percentile(95));
                worstRatio = Math.Max(worstRatio, zoomRatio);
                var identical = group.Count(t => renders[(t.Z, t.X, t.Y)].Count == 1);
                perZoom.AppendLine($"| {group.Key} | {group.Count()} | {group.Count(t => sizes[(t.Z, t.X, t.Y)].Length > 0)} | {densest.Z}/{densest.X}/{densest.Y} ({densest.Points:N0} points) " +
                    $"| {sizes[(densest.Z, densest.X, densest.Y)].Length:N0} B | {latencies.Percentile(50):F2} / {latencies.Percentile(95):F2} ms " +
                    $"| {bareLatencies.Percentile(50):F2} / {bareLatencies.Percentile(95):F2} ms " +
                    $"| {zoomRatio:P0} ({latencies.Percentile(95) - bareLatencies.Percentile(95):+0.00;-0.00} ms) | {identical} of {group.Count()} |");
            }
            var largest = sizes.Values.Max(b => b.Length);
            var allIdentical = renders.Values.All(r => r.Count == 1);
            perZoom.AppendLine();
            perZoom.AppendLine($"Per zoom: largest tile {largest:N0} B (goal ≤ 500 KB — **{(largest <= 500 * 1024 ? "met" : "not met")}**); worst uncached p95 {worstP95:F2} ms " +
                $"(goal ≤ 50 ms — **{(worstP95 <= 50 ? "met" : "not met")}**); worst p95 against the bare ST_AsMVT {worstRatio:P0} (goal ≤ 125% — **{(worstRatio <= 1.25 ? "met" : "not met")}**); " +
                $"every tile's {options.Rounds} renders byte-identical — **{(allIdentical ? "yes" : "NO")}**.");

            var markdown = $"""
                ## Vector tiles: uncached latency and cached throughput

                - Machine: {Machine.Describe()}; {versions}
                - Command: `./paju bench tiles` — {options.Size:N0} playgrounds generated as for the OGC benchmark (seed {BenchRegistry.Seed}), tileset `{TilesetId}`
                  (every public layer), run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.
                - Sample (seed {SampleSeed}): per zoom 5–16 the densest tile, 9 random tiles holding points and 1 empty tile inside Paju's
                  extent: {sample.Count} tiles, {nonEmpty} non-empty ({100.0 * nonEmpty / sample.Count:F0}%). Mean non-empty tile {meanSize / 1024:F1} KiB.
                - Points are clusters (kept on write) below z{TileCatalog.RawMinZoom}, single features from z{TileCatalog.RawMinZoom}.
                - Uncached: each tile requested {options.Rounds} times through HTTP and rendered {options.Rounds} times bare, the two in turn (which goes
                  first alternates by round), after {WarmRounds} unmeasured passes of both so that a warm server is measured.

                | figure | p50 | p95 | p99 | n |
                |---|---|---|---|---|
                | uncached tile over HTTP (server's tile cache off) | {uncached.Percentile(50):F2} ms | {uncached.Percentile(95):F2} ms | {uncached.Percentile(99):F2} ms | {uncached.Count} |
                | bare SQL of the same tile (ST_AsMVT, same statement, same run) | {bare.Percentile(50):F2} ms | {bare.Percentile(95):F2} ms | {bare.Percentile(99):F2} ms | {bare.Count} |

                | throughput at {options.Clients} concurrent clients, {options.LoadDuration.TotalSeconds:F0} s each, same sample | requests/s |
                |---|---|
                | cached tiles from the server | {cached.PerSecond:N0} |
                | the same bytes as static files from a bare Kestrel (UseStaticFiles) | {baseline.PerSecond:N0} |
                | ratio | {ratio:P0} |

                Goals: uncached p95 ≤ 50 ms — **{(uncached.Percentile(95) <= 50 ? "met" : "not met")}** ({uncached.Percentile(95):F2} ms);
                cached ≥ 70% of the static-file rate — **{(ratio >= 0.7 ? "met" : "not met")}** ({ratio:P0}).
                Load generator, server and PostgreSQL share the machine's {Environment.ProcessorCount} cores in both throughput runs.

                {perZoom}
                """;
            Report.WriteSection(options.ReportFile, "tiles", markdown);
            Console.WriteLine($"Written to {options.ReportFile}");
        }
        return 0;
    }

    private sealed record SampleTile(int Z, int X, int Y, long Points);

    private const int WarmRounds = 3;

    private static async Task<double> TimeBareAsync(NpgsqlDataSource db, Tileset tileset, SampleTile t)
    {
        var started = Stopwatch.GetTimestamp();
        await TileRenderer.RenderAsync(db, tileset, t.Z, t.X, t.Y, default);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>Per zoom: the densest tile first, then random non-empty tiles, then one empty tile in the city's extent.</summary>
    private static async Task<List<SampleTile>> SampleTilesAsync(NpgsqlDataSource db)
    {
        var random = new Random(SampleSeed);
        var sample = new List<SampleTile>();
        for (var z = 5; z <= 16; z++)
        {
            await using var cmd = db.CreateCommand($"""
                SELECT x, y, count(*) FROM (
                    SELECT floor((ST_X(geom_3857) + 20037508.342789244) / (40075016.685578488 / 2 ^ {z}))::int AS x,
                           floor((20037508.342789244 - ST_Y(geom_3857)) / (40075016.685578488 / 2 ^ {z}))::int AS y
                    FROM asset) t
                GROUP BY x, y ORDER BY count(*) DESC, x, y
                """);
            var tiles = new List<SampleTile>();
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tiles.Add(new SampleTile(z, reader.GetInt32(0), reader.GetInt32(1), reader.GetInt64(2)));
                }
            }
            sample.Add(tiles[0]);
            var others = tiles.Skip(1).OrderBy(_ => random.Next()).Take(9).ToList();
            sample.AddRange(others);
            var (minX, maxX) = (tiles.Min(t => t.X), tiles.Max(t => t.X));
            var (minY, maxY) = (tiles.Min(t => t.Y), tiles.Max(t => t.Y));
            var occupied = tiles.Select(t => (t.X, t.Y)).ToHashSet();
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var candidate = (random.Next(minX - 1, maxX + 2), random.Next(minY - 1, maxY + 2));
                if (!occupied.Contains(candidate))
                {
                    sample.Add(new SampleTile(z, candidate.Item1, candidate.Item2, 0));
                    break;
                }
            }
        }
        return sample;
    }

    private static Samples ZoomLatencies(Samples all, List<SampleTile> sample, int z, int rounds)
    {
        // Uncached samples were recorded round by round in sample order.
        var zoom = new Samples($"z{z}");
        var values = all.Values;
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < sample.Count; i++)
            {
                if (sample[i].Z == z)
                {
                    zoom.Add(values[round * sample.Count + i]);
                }
            }
        }
        return zoom;
    }

    private static async Task WaitForCacheAsync(Uri server, string url)
    {
        using var http = new HttpClient { BaseAddress = server };
        for (var i = 0; i < 300; i++)
        {
            using var response = await http.GetAsync(url);
            if (response.Headers.TryGetValues("X-Tile-Cache", out var v) && v.Single() == "hit")
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException("The tile cache did not start.");
    }
}
