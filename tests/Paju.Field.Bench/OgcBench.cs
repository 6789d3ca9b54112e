using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using Paju.Field.Geography;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ogc;

namespace Paju.Field.Bench;

/// <summary>
/// OGC API items at 1k and 100k playgrounds: the first page, a deep keyset page (offset ≥ 50,000)
/// and numberMatched over the whole city, each over HTTP beside the bare SQL the server runs for it
/// (FeatureQueries, the same code path without HTTP and JSON assembly), in the same run.
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
                var bare = await Samples.MeasureAsync(name, options.Warmup, options.Iterations,
                    () => FeatureQueries.PageAsync(db, collection, request, counts: null, default));
                Console.WriteLine($"  {name}: HTTP p95 {viaHttp.Percentile(95):F2} ms, bare SQL p95 {bare.Percentile(95):F2} ms");
                rows.Add((name, viaHttp, bare));
            }
            sections.AppendLine($"#### {size:N0} playgrounds").AppendLine().Append(Report.LatencyTable(rows)).AppendLine();
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
              server runs for it (page, next/prev probe, a fresh exact count) called directly, in the same run.
            - numberMatched is exact: counts are cached under the registry revision they were computed at and reused only
              while no write has touched the registry (migration 0002). The "right after a registry change" rows bump the
              revision before every request (outside the timing), so each of those requests recounts.

            {sections}
            """;
        Report.WriteSection(options.ReportFile, "ogc", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return 0;
    }
}
