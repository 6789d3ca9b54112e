using System.Net.Http.Json;
using System.Text.Json;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Events;

/// <summary>
/// A festival's safety review through the API as the people who do it: registered by its department (judged by the rule,
/// the plan due 21 Seoul days before), the plan received, fire and police heard, the division's decision, the joint
/// on-site inspection filed through the inspection engine with the event as subject, its finding repaired and confirmed
/// by two people before the corrections are, and the end recorded after the event. Every step audited; every refusal in
/// Korean and kept.
/// </summary>
public sealed class EventReviewTests(EventFixture f) : IClassFixture<EventFixture>
{
    private static DateTimeOffset SeoulNoon(int daysFromNow)
    {
        var seoul = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Paju.Field.Calendar.SeoulCalendar.Zone);
        return new DateTimeOffset(seoul.Date.AddDays(daysFromNow).AddHours(12), TimeSpan.FromHours(9));
    }

    [Fact]
    public async Task A_fireworks_festival_goes_through_every_step_and_its_finding_must_be_confirmed_before_the_corrections_are()
    {
        var starts = SeoulNoon(40);
        var code = await f.RegisterAsync(EventFixture.Event("임진각 불꽃 축제", starts, 300, new { temporary_structures = true, fireworks = true }));
        var (_, registered) = await f.SendAsync("culture.kim", HttpMethod.Get, $"/api/events/{code}");
        var summary = registered.GetProperty("event");
        Assert.True(summary.GetProperty("reviewRequired").GetBoolean());
        Assert.Contains("불꽃(폭죽) 사용", summary.GetProperty("reviewReason").GetString());
        Assert.Equal(DateOnly.FromDateTime(starts.Date).AddDays(-21).ToString("yyyy-MM-dd"), summary.GetProperty("planDueOn").GetString());
        Assert.Equal("등록", summary.GetProperty("stateName").GetString());

        // The plan, on time; the division cannot submit it for the department.
        Assert.Equal(403, (await f.PostAsync("safety.park", $"/api/events/{code}/plan")).Status);
        var (status, plan) = await f.PostAsync("culture.kim", $"/api/events/{code}/plan");
        Assert.Equal(200, status);
        Assert.Equal("계획서 접수", plan.GetProperty("stateName").GetString());
        Assert.False(plan.GetProperty("planLate").GetBoolean());

        // Committee: the fire service first; the division may not decide before the police are heard too.
        Assert.Equal(403, (await f.PostAsync("culture.kim", $"/api/events/{code}/opinions",
            new { organisation = "fire", recommendation = "adequate", opinion = "자체 의견" })).Status);
        Assert.Equal(200, (await f.PostAsync("fire.jung", $"/api/events/{code}/opinions",
            new { organisation = "fire", recommendation = "conditional", opinion = "발사 지점 반경 100 m 통제, 소화기 10대 추가" })).Status);
        var (early, earlyBody) = await f.PostAsync("safety.park", $"/api/events/{code}/review", new { result = "conditional", note = "통제 구역 확대" });
        Assert.Equal(409, early);
        Assert.Contains("경찰", earlyBody.GetProperty("detail").GetString());
        Assert.Equal(200, (await f.PostAsync("police.oh", $"/api/events/{code}/opinions",
            new { organisation = "police", recommendation = "adequate", opinion = "교통 통제 계획 적정" })).Status);
        // 조건부 적정 says what the condition is.
        var (noNote, noNoteBody) = await f.PostAsync("safety.park", $"/api/events/{code}/review", new { result = "conditional" });
        Assert.Equal(400, noNote);
        Assert.Contains("note", noNoteBody.GetProperty("detail").GetString());
        var (reviewed, review) = await f.PostAsync("safety.park", $"/api/events/{code}/review", new { result = "conditional", note = "발사 지점 통제 구역 100 m로 확대" });
        Assert.Equal(200, reviewed);
        Assert.Equal("조건부 적정", review.GetProperty("reviewResultName").GetString());

        // The joint inspection through the inspection engine: the organiser may not file it; the division does; crowd control fails.
        var inspection = Guid.NewGuid();
        using (var organiser = f.Client("culture.kim"))
        {
            var refused = await organiser.PutAsJsonAsync($"/api/inspections/{inspection}", EventFixture.JointInspection(code, "crowd"));
            Assert.Equal(403, (int)refused.StatusCode);
            Assert.Contains("안전총괄과", await refused.Content.ReadAsStringAsync());
        }
        using (var division = f.Client("safety.park"))
        {
            var filed = await division.PutAsJsonAsync($"/api/inspections/{inspection}", EventFixture.JointInspection(code, "crowd"));
            Assert.True((int)filed.StatusCode == 201, await filed.Content.ReadAsStringAsync());
        }
        var (_, inspected) = await f.SendAsync("safety.park", HttpMethod.Get, $"/api/events/{code}");
        Assert.Equal("inspected", inspected.GetProperty("event").GetProperty("state").GetString());
        var finding = inspected.GetProperty("findings").EnumerateArray().Single();
        Assert.Equal("crowd", finding.GetProperty("item").GetString());
        // Due before the festival opens, not in the engine's 90 days.
        Assert.Equal(DateOnly.FromDateTime(starts.Date).AddDays(-1).ToString("yyyy-MM-dd"), finding.GetProperty("dueOn").GetString());

        // The corrections cannot be confirmed while the finding is not: repaired by one person, confirmed by another.
        var (tooSoon, tooSoonBody) = await f.PostAsync("safety.park", $"/api/events/{code}/confirm-corrections");
        Assert.Equal(409, tooSoon);
        Assert.Contains("지적사항 1건", tooSoonBody.GetProperty("detail").GetString());
        var id = finding.GetProperty("id").GetInt64();
        Assert.Equal(200, (await f.PostAsync("safety.park", $"/api/findings/{id}/repair", new { note = "통제선 2중으로 보강, 안전요원 6명 추가" })).Status);
        Assert.Equal(409, (await f.PostAsync("safety.park", $"/api/events/{code}/confirm-corrections")).Status);
        Assert.Equal(403, (await f.PostAsync("safety.park", $"/api/findings/{id}/confirm")).Status);
        Assert.Equal(200, (await f.PostAsync("safety.choi", $"/api/findings/{id}/confirm")).Status);
        var (confirmed, confirmedBody) = await f.PostAsync("safety.park", $"/api/events/{code}/confirm-corrections", new { note = "현장 재확인" });
        Assert.Equal(200, confirmed);
        Assert.Equal("보완 확인", confirmedBody.GetProperty("stateName").GetString());

        // The end waits for the event to be over.
        var (notOver, notOverBody) = await f.PostAsync("safety.park", $"/api/events/{code}/close", new { accidents = 0 });
        Assert.Equal(409, notOver);
        Assert.Contains("아직 끝나지", notOverBody.GetProperty("detail").GetString());

        // Every step recorded and audited, in order.
        var (_, done) = await f.SendAsync("viewer.seo", HttpMethod.Get, $"/api/events/{code}");
        Assert.Equal(["register", "plan", "opinion", "opinion", "review", "joint_inspection", "confirm_corrections"],
            done.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("action").GetString()!).ToArray());
        Assert.Equal(2, done.GetProperty("opinions").GetArrayLength());
        Assert.Equal(7L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE entity_type = 'event' AND entity_id = $1", code));
    }

    [Fact]
    public async Task A_plan_after_its_due_day_is_flagged_late_and_a_plan_sent_back_for_supplement_is_reviewed_again()
    {
        var code = await f.RegisterAsync(EventFixture.Event("운정 호수공원 수상 공연", SeoulNoon(10), 200, new { on_water = true }));
        var (_, before) = await f.SendAsync("culture.kim", HttpMethod.Get, "/api/events?month=" + SeoulNoon(10).ToString("yyyy-MM"));
        Assert.True(before.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("code").GetString() == code).GetProperty("planOverdue").GetBoolean());
        // It is already overdue (due 11 days ago): the department is reminded, and the plan when it comes is late.
        var (_, reminders) = await f.SendAsync("culture.kim", HttpMethod.Get, "/api/reminders?department=문화예술과");
        Assert.Contains(reminders.EnumerateArray(), r => r.GetProperty("assetCode").GetString() == code
            && r.GetProperty("what").GetString() == "행사 안전관리계획서 제출" && r.GetProperty("state").GetString() == "overdue");
        // One due in nine days is reminded of too, as falling due; one due in 40 days not yet (the rule reminds from 14 days before).
        var soon = await f.RegisterAsync(EventFixture.Event("문산 강변 불빛 축제", SeoulNoon(30), 2000, new { temporary_structures = true, fire = true }));
        var later = await f.RegisterAsync(EventFixture.Event("적성 산악 축제", SeoulNoon(61), 700, new { on_mountain = true }));
        (_, reminders) = await f.SendAsync("culture.kim", HttpMethod.Get, "/api/reminders?department=문화예술과");
        Assert.Contains(reminders.EnumerateArray(), r => r.GetProperty("assetCode").GetString() == soon && r.GetProperty("state").GetString() == "due_soon");
        Assert.DoesNotContain(reminders.EnumerateArray(), r => r.GetProperty("assetCode").GetString() == later);

        var (_, plan) = await f.PostAsync("culture.kim", $"/api/events/{code}/plan");
        Assert.True(plan.GetProperty("planLate").GetBoolean());
        (_, reminders) = await f.SendAsync("culture.kim", HttpMethod.Get, "/api/reminders?department=문화예술과");
        Assert.DoesNotContain(reminders.EnumerateArray(), r => r.GetProperty("assetCode").GetString() == code);   // received: nothing to remind

        foreach (var (member, organisation) in new[] { ("fire.jung", "fire"), ("police.oh", "police") })
        {
            Assert.Equal(200, (await f.PostAsync(member, $"/api/events/{code}/opinions",
                new { organisation, recommendation = "supplement", opinion = "구명조끼·구조선 배치 계획 없음" })).Status);
        }
        Assert.Equal(200, (await f.PostAsync("safety.park", $"/api/events/{code}/review", new { result = "supplement", note = "수상 구조 계획 보완" })).Status);
        // 보완: no joint inspection yet; the department sends the plan again, and the committee hears it afresh (a new round).
        using (var division = f.Client("safety.park"))
        {
            var refused = await division.PutAsJsonAsync($"/api/inspections/{Guid.NewGuid()}", EventFixture.JointInspection(code));
            Assert.Equal(400, (int)refused.StatusCode);
            Assert.Contains("보완", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(200, (await f.PostAsync("culture.kim", $"/api/events/{code}/plan")).Status);
        var (again, againBody) = await f.PostAsync("safety.park", $"/api/events/{code}/review", new { result = "adequate" });
        Assert.Equal(409, again);
        Assert.Contains("소방·경찰", againBody.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_event_that_needs_no_review_says_why_and_is_only_closed_after_it_ended_with_its_accidents()
    {
        var starts = SeoulNoon(-3);
        var code = await f.RegisterAsync(EventFixture.Event("금촌 작은 음악회", starts, 800, new { indoor = true, temporary_structures = true }));
        var (_, e) = await f.SendAsync("culture.kim", HttpMethod.Get, $"/api/events/{code}");
        Assert.False(e.GetProperty("event").GetProperty("reviewRequired").GetBoolean());
        Assert.Contains("실내 행사", e.GetProperty("event").GetProperty("reviewReason").GetString());
        Assert.Equal(409, (await f.PostAsync("culture.kim", $"/api/events/{code}/plan")).Status);
        Assert.Equal(403, (await f.PostAsync("culture.kim", $"/api/events/{code}/close", new { accidents = 0 })).Status);
        var (missing, missingBody) = await f.PostAsync("safety.choi", $"/api/events/{code}/close", new { });
        Assert.Equal(400, missing);
        Assert.Contains("사고 건수", missingBody.GetProperty("detail").GetString());
        var (closed, closedBody) = await f.PostAsync("safety.choi", $"/api/events/{code}/close", new { accidents = 0 });
        Assert.Equal(200, closed);
        Assert.Equal("종료", closedBody.GetProperty("stateName").GetString());
        Assert.Equal(409, (await f.PostAsync("safety.choi", $"/api/events/{code}/close", new { accidents = 0 })).Status);
    }

    [Fact]
    public async Task Only_a_departments_own_staff_or_an_administrator_registers_and_bad_input_is_refused_in_Korean_and_kept()
    {
        var body = EventFixture.Event("파주 개성인삼축제", SeoulNoon(60), 20_000);
        body["organiserDepartment"] = "culture";
        Assert.Equal(403, (await f.PostAsync("tourism.lee", "/api/events", body)).Status);
        Assert.Equal(403, (await f.PostAsync("viewer.seo", "/api/events", body)).Status);
        Assert.Equal(403, (await f.PostAsync("fire.jung", "/api/events", body)).Status);
        Assert.Equal(201, (await f.PostAsync("admin.han", "/api/events", body)).Status);

        var kept = await f.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter WHERE topic LIKE 'http:POST /api/events%'");
        var bad = EventFixture.Event("", SeoulNoon(60), -5, new { fireworks = "yes", on_moon = true },
            new { type = "Point", coordinates = new[] { 37.76, 126.78 } });   // latitude and longitude swapped
        bad["endsAt"] = SeoulNoon(59).ToString("yyyy-MM-dd'T'HH:mm:sszzz");
        bad["startsAt"] = "2027-05-01 10:00";                                   // no offset: whose 10:00?
        var (status, answer) = await f.PostAsync("culture.kim", "/api/events", bad);
        Assert.Equal(400, status);
        var problems = answer.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains(problems, p => p.Contains("name"));
        Assert.Contains(problems, p => p.Contains("예상 인원"));
        Assert.Contains(problems, p => p.Contains("fireworks"));
        Assert.Contains(problems, p => p.Contains("on_moon"));
        Assert.Contains(problems, p => p.Contains("파주시 밖"));
        Assert.Contains(problems, p => p.Contains("시간대가 붙은"));
        Assert.Equal(400, (await f.PostAsync("culture.kim", "/api/events", "{\"name\": \"\\u0000축제\"")).Status);   // not JSON at all
        Assert.Equal(kept + 2, await f.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter WHERE topic LIKE 'http:POST /api/events%'"));

        // A polygon venue: stored as drawn, the event's point inside it.
        var square = new { type = "Polygon", coordinates = new[] { new[] {
            new[] { 126.7790, 37.7590 }, new[] { 126.7810, 37.7590 }, new[] { 126.7810, 37.7605 }, new[] { 126.7790, 37.7605 }, new[] { 126.7790, 37.7590 } } } };
        var code = await f.RegisterAsync(EventFixture.Event("금촌 시장 거리 축제", SeoulNoon(45), 1500, venue: square));
        Assert.True(await f.Db.ScalarAsync<bool>("""
            SELECT GeometryType(e.venue) = 'POLYGON' AND ST_Contains(e.venue, a.geom) FROM event e JOIN asset a ON a.id = e.asset_id WHERE a.code = $1
            """, code));
    }

    [Fact]
    public async Task The_rule_is_data_an_administrator_edits_it_and_events_registered_after_are_judged_by_the_new_version()
    {
        var (_, current) = await f.SendAsync("culture.kim", HttpMethod.Get, "/api/events/rule");
        var definition = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(current.GetProperty("definition").GetRawText())!;
        Assert.Equal(500, definition["attendanceThreshold"].GetInt32());
        var stricter = new Dictionary<string, object>(definition.Select(kv => KeyValuePair.Create(kv.Key, (object)kv.Value))) { ["attendanceThreshold"] = 300 };
        Assert.Equal(403, (await f.SendAsync("safety.park", HttpMethod.Put, "/api/events/rule", new { definition = stricter })).Status);
        var broken = new Dictionary<string, object>(stricter) { ["exemptionsApplyBelow"] = 100 };
        var (refused, refusal) = await f.SendAsync("admin.han", HttpMethod.Put, "/api/events/rule", new { definition = broken });
        Assert.Equal(400, refused);
        Assert.Contains("exemptionsApplyBelow", refusal.GetProperty("detail").GetString());

        var before = await f.RegisterAsync(EventFixture.Event("문산 마을 잔치 (개정 전)", SeoulNoon(50), 400));
        var (saved, version) = await f.SendAsync("admin.han", HttpMethod.Put, "/api/events/rule", new { definition = stricter, note = "조례 개정: 300명 이상" });
        Assert.Equal(200, saved);
        try
        {
            var after = await f.RegisterAsync(EventFixture.Event("문산 마을 잔치 (개정 후)", SeoulNoon(50), 400));
            var (_, old) = await f.SendAsync("culture.kim", HttpMethod.Get, $"/api/events/{before}");
            var (_, @new) = await f.SendAsync("culture.kim", HttpMethod.Get, $"/api/events/{after}");
            Assert.False(old.GetProperty("event").GetProperty("reviewRequired").GetBoolean());
            Assert.True(@new.GetProperty("event").GetProperty("reviewRequired").GetBoolean());
            Assert.Equal(version.GetProperty("version").GetInt32(), @new.GetProperty("ruleVersion").GetInt32());
            Assert.True(await f.Db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'event.rule' AND detail::text LIKE '%300명%')"));
        }
        finally
        {
            // The other tests judge by the shipped rule: put it back as the newest version.
            Assert.Equal(200, (await f.SendAsync("admin.han", HttpMethod.Put, "/api/events/rule", new { definition, note = "시험 뒤 되돌림" })).Status);
        }
    }

    [Fact]
    public async Task The_years_figures_and_the_CSV_export_count_what_was_registered()
    {
        var year = SeoulNoon(400).Year;
        var (_, before) = await f.SendAsync("viewer.seo", HttpMethod.Get, $"/api/events/report?from={year}&to={year}");
        var was = before.GetProperty("years")[0];
        var code = await f.RegisterAsync(EventFixture.Event("파주 \"쌀\" 축제, 가을", SeoulNoon(400), 5000, new { temporary_structures = true, gas = true }));
        var (_, after) = await f.SendAsync("viewer.seo", HttpMethod.Get, $"/api/events/report?from={year}&to={year}");
        var now = after.GetProperty("years")[0];
        Assert.Equal(year, now.GetProperty("year").GetInt32());
        Assert.Equal(was.GetProperty("events").GetInt64() + 1, now.GetProperty("events").GetInt64());
        Assert.Equal(was.GetProperty("reviewRequired").GetInt64() + 1, now.GetProperty("reviewRequired").GetInt64());
        Assert.Equal(400, (await f.SendAsync("viewer.seo", HttpMethod.Get, "/api/events/report?from=2030&to=2020")).Status);

        using var client = f.Client("viewer.seo");
        using var csv = await client.GetAsync($"/api/events/export?year={year}");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);   // Excel reads the Korean right
        var lines = System.Text.Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("행사 코드,행사 이름,주관 부서", lines[0]);
        var row = lines.Single(l => l.StartsWith(code, StringComparison.Ordinal));
        Assert.Contains("\"파주 \"\"쌀\"\" 축제, 가을\"", row);   // quoted, its quotes doubled
        Assert.Contains("문화예술과", row);
        Assert.Contains("가스 사용", row);
    }

    [Fact]
    public async Task Events_are_an_OGC_collection_anyone_can_read_filtered_by_their_dates()
    {
        var code = await f.RegisterAsync(EventFixture.Event("교하 어린이날 행사", SeoulNoon(30), 3000));
        using var anonymous = new HttpClient { BaseAddress = f.Server.BaseAddress };
        var day = SeoulNoon(30).ToString("yyyy-MM-dd");
        var items = await anonymous.GetFromJsonAsync<JsonElement>($"/ogc/collections/event/items?datetime={day}T00:00:00%2B09:00/{day}T23:59:59%2B09:00&limit=100");
        var feature = items.GetProperty("features").EnumerateArray().Single(e => e.GetProperty("properties").GetProperty("code").GetString() == code);
        Assert.Equal("registered", feature.GetProperty("properties").GetProperty("state").GetString());
        Assert.True(feature.GetProperty("properties").GetProperty("review_required").GetBoolean());
        var otherDay = SeoulNoon(90).ToString("yyyy-MM-dd");
        var none = await anonymous.GetFromJsonAsync<JsonElement>($"/ogc/collections/event/items?datetime={otherDay}T00:00:00%2B09:00/{otherDay}T23:59:59%2B09:00&limit=100");
        Assert.DoesNotContain(none.GetProperty("features").EnumerateArray(), e => e.GetProperty("properties").GetProperty("code").GetString() == code);
    }
}
