using Microsoft.Extensions.Logging.Abstractions;
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
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM inspection WHERE receipt !~ '^P-[0-9]{8}-8[0-9]{4}$'"));
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
    }

    [Fact]
    public async Task Purging_the_sample_removes_its_history_and_plates_too()
    {
        var removed = await SampleSeeder.PurgeAsync(_db.DataSource, Actor.System("test"), NullLogger.Instance, default);

        Assert.True(removed > 0);
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT (SELECT count(*) FROM inspection) + (SELECT count(*) FROM finding) + (SELECT count(*) FROM follow_up) + (SELECT count(*) FROM tag)"));
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        try { Directory.Delete(_keys, recursive: true); } catch (IOException) { }
    }
}
