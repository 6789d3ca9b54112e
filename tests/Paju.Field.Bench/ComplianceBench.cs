using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Compliance;
using Paju.Field.Server.Database;
using Paju.Field.Server.Seeding;

namespace Paju.Field.Bench;

/// <summary>
/// The compliance overview (campaign N/719 by 읍면동, the half-year's SAPA progress, overdue, closed, findings) at the city's
/// 896 assets with their sample history, and at 100,000 playgrounds each with a check last month and 60% this month —
/// over HTTP beside, in the same run, the same computation called directly.
/// </summary>
public static class ComplianceBench
{
    public sealed record Options(int Large, int Iterations, string? ConnectionString, string DataDirectory, string ReportFile);

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var rows = new List<(string Name, Samples Http, Samples Bare, double Goal)>();
        string? versions = null;
        foreach (var (name, size) in new[] { ("the city's 896 assets with the sample history", 0), ($"{options.Large:N0} playgrounds", options.Large) })
        {
            var connectionString = await database.CreateAsync($"bench_compliance_{size}");
            await using var db = DatabaseSession.CreateDataSource(connectionString);
            versions ??= await database.ServerVersionAsync(db);
            if (size == 0)
            {
                await SampleSeeder.SeedAsync(db, Actor.System("bench"), NullLogger.Instance, default);
            }
            else
            {
                await BenchRegistry.GenerateAsync(db, size, Console.WriteLine);
                await HistoryAsync(db);
            }
            var token = await TokenAsync(db);
            await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server"),
                extra: new() { ["Paju:Compliance:RunJob"] = "false" });
            using var http = new HttpClient { BaseAddress = server.Address };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var iterations = size == 0 ? options.Iterations : Math.Max(20, options.Iterations / 10);
            var viaHttp = await Samples.MeasureAsync(name, 5, iterations, async () =>
            {
                using var response = await http.GetAsync("/api/compliance/overview");
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
            });
            var bare = await Samples.MeasureAsync(name, 5, iterations, async () =>
            {
                await using var conn = await db.OpenConnectionAsync();
                await ComplianceOverview.ComputeAsync(conn, DateTimeOffset.UtcNow, default);
            });
            Console.WriteLine($"  {name}: overview p95 {viaHttp.Percentile(95):F2} ms, its SQL called directly p95 {bare.Percentile(95):F2} ms");
            rows.Add((name, viaHttp, bare, size == 0 ? 50 : 500));
        }
        var goals = string.Join("; ", rows.Select(r => $"{r.Name}: p95 ≤ {r.Goal} ms — {r.Http.Percentile(95):F2} ms: **{(r.Http.Percentile(95) <= r.Goal ? "met" : "not met")}**"));
        var markdown = $"""
            ## Compliance overview

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench compliance` (sequential requests, bearer token; {options.Iterations} at the city's size, a tenth of that at {options.Large:N0})
            - Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. "HTTP" is `GET /api/compliance/overview` (the campaign by 읍면동 and SAPA by facility
              type and department by the statute's Seoul dates, counted in SQL over the latest check per asset × program; overdue/closed/findings
              counts); "bare" is the same computation called directly on a pooled connection in the same run, without HTTP, sign-in or JSON.
              At {options.Large:N0}: generated playgrounds, each with a monthly check last month and 60% with one this month.

            {Report.LatencyTable(rows.Select(r => (r.Name, r.Http, r.Bare)))}
            Goals: {goals}.
            """;
        Report.WriteSection(options.ReportFile, "compliance", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return 0;
    }

    /// <summary>A check for every playground last month and for 60% this month, straight into the table (no versions needed for the states).</summary>
    private static async Task HistoryAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO app_user (username, display_name, role, password_hash, disabled_at) VALUES ('bench.history', 'bench', 'inspector', 'x', now());
            UPDATE asset SET created_at = now() - interval '1 year';
            INSERT INTO inspection (id, receipt, received_at, program, program_version, asset_id, inspector_id, grade, finished_at)
            SELECT gen_random_uuid(), 'P-20000101-' || lpad(a.id::text, 7, '0') || m, t, 'playground-monthly', 1, a.id,
                   (SELECT id FROM app_user WHERE username = 'bench.history'), '양호', t
            FROM asset a,
                 LATERAL (VALUES (0, date_trunc('month', now() AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul' - interval '10 days'),
                                 (1, date_trunc('month', now() AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul' + interval '1 hour')) AS h(m, t)
            WHERE a.kind = 'playground' AND (h.m = 0 OR a.id % 10 < 6) AND h.t < now();
            ANALYZE inspection; ANALYZE latest_check; ANALYZE asset;
            """);
        cmd.CommandTimeout = 600;
        var clock = Stopwatch.StartNew();
        await cmd.ExecuteNonQueryAsync();
        Console.WriteLine($"  history generated in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<string> TokenAsync(NpgsqlDataSource db)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var user = await UserStore.CreateAsync(conn, tx, "bench.operator", "bench", Roles.Operator, "bench-password-42", default);
        var token = (await ApiTokens.IssueAsync(conn, tx, user.Id, "bench", TimeSpan.FromHours(2), default)).Token;
        await tx.CommitAsync();
        return token;
    }
}
