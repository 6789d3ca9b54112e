using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Paju.Field.Server.Compliance;
using Paju.Field.Tests.Inspections;
using static Paju.Field.Tests.Inspections.InspectionFixture;

namespace Paju.Field.Tests.Compliance;

/// <summary>What inspections set in motion: findings to their repair, the 이용금지 chain and its reopening, and overdue with the clock.</summary>
public sealed class ComplianceTests(InspectionFixture f) : IClassFixture<InspectionFixture>
{
    private static string SeoulToday => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul")).DateTime).ToString("yyyy-MM-dd");

    [Fact]
    public async Task An_item_below_good_becomes_a_finding_repaired_with_evidence_and_confirmed_by_another_person()
    {
        var id = Guid.NewGuid();
        await f.PutAsync(id, Now(Monthly("PG-I0002", grade: "요수리", extraAnswers: new() { ["wear"] = "요수리" })));
        using var kim = f.Client();
        using var lee = f.Client("inspector.lee");

        var findings = await kim.GetFromJsonAsync<JsonElement>("/api/findings");
        var finding = findings.EnumerateArray().Single(x => x.GetProperty("item").GetString() == "wear" && x.GetProperty("asset").GetProperty("code").GetString() == "PG-I0002");
        var findingId = finding.GetProperty("id").GetInt64();
        Assert.Equal("open", finding.GetProperty("state").GetString());
        Assert.Equal(DateOnly.Parse(SeoulToday).AddDays(14), DateOnly.Parse(finding.GetProperty("dueOn").GetString()!));
        Assert.Equal("안전총괄과", finding.GetProperty("owner").GetString());

        using var noEvidence = await kim.PostAsJsonAsync($"/api/findings/{findingId}/repair", new { note = "" });
        using var repaired = await kim.PostAsJsonAsync($"/api/findings/{findingId}/repair", new { note = "미끄럼틀 활주면 교체" });
        using var selfConfirm = await kim.PostAsync($"/api/findings/{findingId}/confirm", null);
        using var confirmed = await lee.PostAsync($"/api/findings/{findingId}/confirm", null);

        Assert.Equal(400, (int)noEvidence.StatusCode);
        Assert.Equal(200, (int)repaired.StatusCode);
        Assert.Equal(403, (int)selfConfirm.StatusCode);
        Assert.Contains("다른 사람이 확인해야 합니다", await selfConfirm.Content.ReadAsStringAsync());
        Assert.Equal(200, (int)confirmed.StatusCode);
        Assert.Equal(2L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE entity_type = 'finding' AND entity_id = $1", findingId.ToString()));
    }

    [Fact]
    public async Task A_monthly_check_graded_closed_for_use_closes_the_playground_at_once_with_dated_follow_ups_until_a_passing_check_reopens_it()
    {
        var before = await f.Db.ScalarAsync<long>("SELECT coalesce(max(id), 0) FROM live_event");
        var closing = Guid.NewGuid();
        var (status, _) = await f.PutAsync(closing, Now(Monthly("PG-I0001", grade: "이용금지", extraAnswers: new() { ["joints"] = "이용금지" }, notes: "그네 체인 끊어짐")));

        Assert.Equal(201, status);
        Assert.Contains("연결상태", await f.Db.ScalarAsync<string>("SELECT closed_reason FROM asset WHERE code = 'PG-I0001'"));
        Assert.Contains("그네 체인 끊어짐", await f.Db.ScalarAsync<string>("SELECT closed_reason FROM asset WHERE code = 'PG-I0001'"));
        var today = DateOnly.Parse(SeoulToday);
        var dues = await f.Db.ScalarAsync<string>("SELECT string_agg(kind || '=' || due_on, ',' ORDER BY kind) FROM follow_up WHERE inspection_id = $1", closing);
        Assert.Equal($"cpf_registration={today.AddDays(7):yyyy-MM-dd},improvement_plan={today.AddMonths(2):yyyy-MM-dd},notify_authority={today:yyyy-MM-dd},safety_diagnosis={today.AddMonths(1):yyyy-MM-dd}", dues);
        var announced = await f.Db.ScalarAsync<string>("SELECT payload::text FROM live_event WHERE id > $1 AND type = 'asset.state' ORDER BY id DESC LIMIT 1", before);
        Assert.Contains("\"closed\": true", announced);
        Assert.Contains("\"grade\": \"이용금지\"", announced);
        Assert.Equal((short)3, await f.Db.ScalarAsync<short>("SELECT severity FROM asset WHERE code = 'PG-I0001'")); // the map's worst colour

        // Not before a passing inspection, and only by an administrator.
        using var admin = f.Client("admin.han");
        using var tooEarly = await admin.PostAsync("/api/assets/playground/PG-I0001/reopen", null);
        using var byInspector = await f.Client().PostAsync("/api/assets/playground/PG-I0001/reopen", null);
        Assert.Equal(409, (int)tooEarly.StatusCode);
        Assert.Contains("합격한 점검", await tooEarly.Content.ReadAsStringAsync());
        Assert.Equal(403, (int)byInspector.StatusCode);

        await f.PutAsync(Guid.NewGuid(), Now(Monthly("PG-I0001", grade: "양호")));
        using var reopened = await admin.PostAsync("/api/assets/playground/PG-I0001/reopen", null);
        Assert.Equal(200, (int)reopened.StatusCode);
        Assert.True(await f.Db.ScalarAsync<bool>("SELECT closed_at IS NULL AND severity = 0 FROM asset WHERE code = 'PG-I0001'"));
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'asset.reopen' AND entity_id = 'PG-I0001'"));
        using var followUps = await admin.GetAsync("/api/follow-ups");
        Assert.Contains("안전진단 신청", await followUps.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_overdue_job_flips_the_state_at_a_Seoul_period_boundary_and_announces_it()
    {
        await f.Db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom, created_at) VALUES
              ('playground', 'PG-OVD1', '지연 시험 놀이터', ST_SetSRID(ST_MakePoint(126.79, 37.77), 4326), '2026-01-01T00:00:00+09:00')
            """);
        var job = f.Server.Services.GetRequiredService<ComplianceJob>();
        var (x, y) = Tiles.TileMath.TileOf(126.79, 37.77, 16);
        using var anonymous = f.Server.CreateClient();
        async Task<object?> OverdueOnTheMapAsync()
        {
            var tile = await anonymous.GetByteArrayAsync($"/tiles/playground/16/{x}/{y}.mvt");
            var feature = Harness.MvtReader.Read(tile).Single(l => l.Name == "playground").Features.Single(f => Equals(f.Properties["code"], "PG-OVD1"));
            return feature.Properties["overdue"];
        }
        Assert.Equal(false, await OverdueOnTheMapAsync());
        var tilesBefore = await f.Db.ScalarAsync<long>("SELECT count(*) FROM tile_change");
        var eventsBefore = await f.Db.ScalarAsync<long>("SELECT coalesce(max(id), 0) FROM live_event");

        // 1 January 00:05 in Paju: December went by without a check.
        await job.RunAsync(DateTimeOffset.Parse("2027-01-01T00:05:00+09:00"), default);

        Assert.True(await f.Db.ScalarAsync<bool>("SELECT overdue FROM asset WHERE code = 'PG-OVD1'"));
        Assert.True(await f.Db.ScalarAsync<long>("SELECT count(*) FROM tile_change") > tilesBefore);
        // The served tile follows (its cached copy was evicted by the change).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Equals(await OverdueOnTheMapAsync(), true))
        {
            Assert.True(DateTime.UtcNow < deadline, "The tile still shows the playground on time 30 s after the job.");
            await Task.Delay(200);
        }
        // The clusters of the overview map count them too: at z5 one tile holds the whole city.
        var (cx, cy) = Tiles.TileMath.TileOf(126.79, 37.77, 5);
        async Task<(long Closed, long Overdue)> ClusterCountsAsync()
        {
            var layer = Harness.MvtReader.Read(await anonymous.GetByteArrayAsync($"/tiles/playground/5/{cx}/{cy}.mvt")).Single(l => l.Name == "playground");
            Assert.All(layer.Features, c => Assert.Equal(true, c.Properties["cluster"]));
            return (layer.Features.Sum(c => Convert.ToInt64(c.Properties["n_closed"])), layer.Features.Sum(c => Convert.ToInt64(c.Properties["n_overdue"])));
        }
        var expected = (await f.Db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE kind = 'playground' AND status = 'active' AND closed_at IS NOT NULL"),
                        await f.Db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE kind = 'playground' AND status = 'active' AND overdue"));
        Assert.True(expected.Item2 >= 1);
        while (await ClusterCountsAsync() != expected)
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(30), $"The z5 clusters count {await ClusterCountsAsync()} closed/overdue, not {expected}.");
            await Task.Delay(200);
        }
        var announced = await f.Db.ScalarAsync<string>("SELECT payload::text FROM live_event WHERE id > $1 AND type = 'asset.state' AND payload::text LIKE '%PG-OVD1%'", eventsBefore);
        Assert.Contains("\"overdue\": true", announced);
        // Run again at the same instant: nothing changes, nothing is announced twice.
        Assert.Equal(0, await job.RunAsync(DateTimeOffset.Parse("2027-01-01T00:05:00+09:00"), default));
    }

    [Fact]
    public async Task The_overview_counts_this_months_campaign_and_the_half_years_facility_checks()
    {
        await f.PutAsync(Guid.NewGuid(), Now(Monthly("PG-I0002")));
        using var client = f.Client("operator.yoon");

        var overview = await client.GetFromJsonAsync<JsonElement>("/api/compliance/overview");
        var campaign = overview.GetProperty("playgroundCampaign").GetProperty("progress");
        var overdue = await client.GetFromJsonAsync<JsonElement>("/api/compliance/assets?program=playground-monthly&state=done");

        Assert.True(campaign.GetProperty("done").GetInt32() >= 1);
        Assert.Equal(await f.Db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE kind = 'playground' AND status = 'active'"), campaign.GetProperty("total").GetInt32());
        Assert.Equal(1, overview.GetProperty("facilityHalfYear").GetProperty("progress").GetProperty("total").GetInt32());
        Assert.Contains(overdue.EnumerateArray(), a => a.GetProperty("code").GetString() == "PG-I0002");
        Assert.Matches(@"^\d{4}-\d{2}$", overview.GetProperty("month").GetString());
    }
}
