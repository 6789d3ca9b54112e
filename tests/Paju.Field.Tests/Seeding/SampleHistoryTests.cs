using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Calendar;
using Paju.Field.Compliance;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Compliance;
using Paju.Field.Server.Seeding;
using Paju.Field.Server.Tags;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Seeding;

/// <summary>The sample's grades, findings, closures and overdue states come from its inspection history, and every playground has a plate.</summary>
public sealed class SampleHistoryTests(PostgisServer server) : IAsyncLifetime
{
    private readonly TestDatabase _db = new(server);
    private readonly string _keys = TempDirectory.Create("paju-sample-keys-");

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        await SampleSeeder.SeedAsync(_db.DataSource, Actor.System("test"), NullLogger.Instance, default, new TagKeyStore(Path.Combine(_keys, "tags.json")));
    }

    [Fact]
    public async Task Six_months_of_checks_give_each_playground_its_grade_and_the_demo_its_findings_closures_and_overdue()
    {
        Assert.Equal(0L, await _db.ScalarAsync<long>("""
            SELECT count(*) FROM asset a WHERE a.kind = 'playground' AND a.is_sample
              AND (SELECT count(*) FROM inspection i WHERE i.asset_id = a.id AND i.program = 'playground-monthly') < 5
            """));
        // Each playground's grade is its latest check's.
        Assert.Equal(0L, await _db.ScalarAsync<long>("""
            SELECT count(*) FROM asset a JOIN playground p ON p.asset_id = a.id
            WHERE a.is_sample AND (a.grade IS DISTINCT FROM p.grade OR p.grade IS DISTINCT FROM (
                SELECT i.grade FROM inspection i WHERE i.asset_id = a.id AND i.program = 'playground-monthly' ORDER BY i.finished_at DESC LIMIT 1))
            """));
        Assert.Equal(2L, await _db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE is_sample AND closed_at IS NOT NULL"));
        Assert.Equal(8L, await _db.ScalarAsync<long>("SELECT count(*) FROM follow_up WHERE done_at IS NULL"));
        Assert.True(await _db.ScalarAsync<long>("SELECT count(*) FROM finding WHERE state = 'open' AND judged = '요수리'") >= 5);
        Assert.Equal(await _db.ScalarAsync<long>("SELECT count(*) FROM inspection"), await _db.ScalarAsync<long>("SELECT count(DISTINCT receipt) FROM inspection"));
        // The sample's receipts are numbered apart from real ones: 80000 for facilities' checks, 90000 for events' joint inspections.
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM inspection WHERE receipt !~ '^P-[0-9]{8}-8[0-9]{4}$' AND program <> 'event-joint'"));
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM inspection WHERE receipt !~ '^P-[0-9]{8}-9[0-9]{4}$' AND program = 'event-joint'"));
        Assert.Equal(719L, await _db.ScalarAsync<long>("SELECT count(DISTINCT asset_id) FROM tag t JOIN asset a ON a.id = t.asset_id WHERE a.kind = 'playground'"));

        await using var conn = await _db.DataSource.OpenConnectionAsync();
        var statuses = await ComplianceStatus.ComputeAsync(conn, null, DateTimeOffset.UtcNow, default);
        var monthly = statuses.Where(s => s.Program == "playground-monthly").ToList();
        var done = monthly.Count(s => s.Status.State == DueState.Done);
        Assert.InRange(done, monthly.Count * 4 / 10, monthly.Count * 8 / 10);   // this month's campaign under way
        Assert.InRange(monthly.Count(s => s.Status.State == DueState.Overdue), 5, 80);
        var sapa = statuses.Where(s => s.Program == "facility-semiannual").ToList();
        Assert.Equal(177, sapa.Count);
        Assert.True(sapa.Count(s => s.Status.State == DueState.Done) >= 177 * 75 / 100);
        // Every playground's last 정기시설검사 passed and set its validity by the statute's rule; most are valid, a few ran out.
        var periodic = statuses.Where(s => s.Program == "playground-periodic").ToList();
        Assert.Equal(monthly.Count, periodic.Count);
        Assert.Equal(0L, await _db.ScalarAsync<long>("""
            SELECT count(*) FROM playground p JOIN asset a ON a.id = p.asset_id
            WHERE a.is_sample AND (p.periodic_valid_until IS NULL OR p.periodic_valid_until <> p.periodic_valid_from + interval '2 years' - interval '1 day')
            """));
        Assert.True(periodic.Count(s => s.Status.State == DueState.Done) >= periodic.Count * 85 / 100);
        Assert.InRange(periodic.Count(s => s.Status.State == DueState.Overdue), 1, periodic.Count * 6 / 100);
    }

    [Fact]
    public async Task Purging_the_sample_removes_its_history_and_plates_too()
    {
        var removed = await SampleSeeder.PurgeAsync(_db.DataSource, Actor.System("test"), NullLogger.Instance, default);

        Assert.True(removed > 0);
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT (SELECT count(*) FROM inspection) + (SELECT count(*) FROM finding) + (SELECT count(*) FROM follow_up) + (SELECT count(*) FROM tag)"));
    }

    [Theory]
    [InlineData("now", 0)]
    [InlineData("month", -1)]                // the last second of this Seoul month
    [InlineData("month", 1)]                 // the first second of the next
    [InlineData("half", -1)]                 // around the half-year's end
    [InlineData("half", 1)]
    [InlineData("year", -1)]                 // and the year's
    [InlineData("year", 1)]
    public async Task The_overview_counted_in_SQL_agrees_with_the_rules_at_month_half_year_and_year_ends(string boundary, int seconds)
    {
        var month = SeoulCalendar.MonthOf(DateTimeOffset.UtcNow);
        DateOnly? next = boundary switch
        {
            "month" => month.AddMonths(1),
            "half" => month.Month <= 6 ? new DateOnly(month.Year, 7, 1) : new DateOnly(month.Year + 1, 1, 1),
            "year" => new DateOnly(month.Year + 1, 1, 1),
            _ => null,
        };
        var now = next is { } n ? SeoulCalendar.StartOfDay(n).AddSeconds(seconds) : DateTimeOffset.UtcNow;
        // The job sets the overdue flags as it would just after that midnight; the overview counts the flags the map shows.
        var job = new ComplianceJob(_db.DataSource, new ComplianceOptions(), new ServiceCollection().BuildServiceProvider(), TimeProvider.System,
            NullLogger<ComplianceJob>.Instance);
        await job.RunAsync(now, default);
        await using var conn = await _db.DataSource.OpenConnectionAsync();
        var statuses = await ComplianceStatus.ComputeAsync(conn, null, now, default);
        var overview = await ComplianceOverview.ComputeAsync(conn, now, default);

        static Progress Of(IEnumerable<AssetProgramStatus> rows) =>
            new(rows.Count(r => r.Status.State == DueState.Done), rows.Count(), rows.Count(r => r.Status.State == DueState.Overdue));
        static List<(string, Progress)> By(IEnumerable<AssetProgramStatus> rows, Func<AssetProgramStatus, string?> key) =>
            rows.GroupBy(r => key(r) ?? "미지정").Select(g => (g.Key, Of(g))).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var monthly = statuses.Where(s => s.Program == ComplianceOverview.CampaignProgram).ToList();
        var sapa = statuses.Where(s => s.Program == ComplianceOverview.FacilityProgram).ToList();
        Assert.Equal(By(monthly, m => m.AdminArea), overview.CampaignByArea);
        Assert.Equal(By(sapa, s => s.FacilityType), overview.FacilityByType);
        Assert.Equal(By(sapa, s => s.Department), overview.FacilityByDepartment);
        Assert.Equal(statuses.Where(s => s.Status.State == DueState.Overdue).Select(s => s.AssetId).Distinct().Count(), overview.OverdueAssets);
        Assert.Equal(statuses.Where(s => s.Closed).Select(s => s.AssetId).Distinct().Count(), overview.ClosedAssets);
        Assert.True(overview.Campaign.Total >= 700, $"the campaign covers the sample's playgrounds, not {overview.Campaign.Total}");
    }

    [Fact]
    public async Task The_latest_check_per_asset_and_program_follows_a_correction_that_moves_a_check_back_and_a_deleted_check()
    {
        const string drift = """
            SELECT count(*) FROM (SELECT asset_id, program, max(finished_at) AS at FROM inspection GROUP BY asset_id, program) m
            FULL JOIN latest_check l USING (asset_id, program) WHERE m.at IS DISTINCT FROM l.finished_at
            """;
        Assert.Equal(0L, await _db.ScalarAsync<long>(drift));
        Assert.True(await _db.ScalarAsync<long>("SELECT count(*) FROM latest_check") > 700);

        var asset = await _db.ScalarAsync<long>("SELECT asset_id FROM latest_check WHERE program = 'playground-monthly' ORDER BY asset_id LIMIT 1");
        await _db.ExecuteAsync("""
            UPDATE inspection SET finished_at = finished_at - interval '3 years'
            WHERE id = (SELECT id FROM inspection WHERE asset_id = $1 AND program = 'playground-monthly' ORDER BY finished_at DESC LIMIT 1)
            """, asset);
        Assert.Equal(0L, await _db.ScalarAsync<long>(drift));

        await _db.ExecuteAsync("""
            WITH f AS (DELETE FROM finding WHERE asset_id = $1), u AS (DELETE FROM follow_up WHERE asset_id = $1),
                 v AS (DELETE FROM inspection_version WHERE inspection_id IN (SELECT id FROM inspection WHERE asset_id = $1))
            DELETE FROM inspection WHERE asset_id = $1
            """, asset);
        Assert.Equal(0L, await _db.ScalarAsync<long>(drift));
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM latest_check WHERE asset_id = $1", asset));
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        try { Directory.Delete(_keys, recursive: true); } catch (IOException) { }
    }
}
