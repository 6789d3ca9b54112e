using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Paju.Field.Tests.Harness;
using static Paju.Field.Tests.Inspections.InspectionFixture;

namespace Paju.Field.Tests.Inspections;

/// <summary>Submissions made on phones: receipts, resubmissions, the check-in they rest on, and who may submit what.</summary>
public sealed class InspectionSubmissionTests(InspectionFixture f) : IClassFixture<InspectionFixture>
{
    /// <summary>RFC 8785 recomputed here without the product's code: members sorted at every depth, compact, UTF-8 unescaped.</summary>
    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => JsonSerializer.Serialize(p.Key, Relaxed) + ":" + Canonical(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(Relaxed),
    };

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task A_submission_gets_a_receipt_whose_hash_is_its_canonical_JSON_and_the_same_content_again_the_same_receipt()
    {
        var id = Guid.NewGuid();
        var submission = Monthly();

        var (status, receipt) = await f.PutAsync(id, submission);

        Assert.Equal(201, status);
        Assert.Matches(@"^P-\d{8}-\d{5}$", receipt.GetProperty("receipt").GetString());
        var seoulToday = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul")).ToString("yyyyMMdd");
        Assert.StartsWith($"P-{seoulToday}-", receipt.GetProperty("receipt").GetString());
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(JsonNode.Parse(Text(submission))))));
        Assert.Equal(expected, receipt.GetProperty("sha256").GetString());
        Assert.Equal("사진 없음", receipt.GetProperty("photoStatus").GetString());

        // The phone lost the answer and sends again — its serializer this time put the members in another order, with spaces.
        var reordered = JsonNode.Parse(Text(submission))!.AsObject().Reverse().Aggregate(new JsonObject(), (o, p) => { o[p.Key] = p.Value?.DeepClone(); return o; });
        using var client = f.Client();
        using var again = await client.PutAsync($"/api/inspections/{id}",
            new StringContent(reordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), Encoding.UTF8, "application/json"));
        var sameReceipt = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(200, (int)again.StatusCode);
        Assert.Equal(receipt.GetProperty("receipt").GetString(), sameReceipt.GetProperty("receipt").GetString());
        Assert.Equal(receipt.GetProperty("sha256").GetString(), sameReceipt.GetProperty("sha256").GetString());

        // Retrievable later.
        using var later = await client.GetAsync($"/api/inspections/{id}/receipt");
        Assert.Equal(receipt.GetProperty("receipt").GetString(), JsonDocument.Parse(await later.Content.ReadAsStringAsync()).RootElement.GetProperty("receipt").GetString());
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM inspection_version WHERE inspection_id = $1", id));
    }

    [Fact]
    public async Task The_same_id_with_different_content_is_refused_naming_both_and_kept_for_review()
    {
        var id = Guid.NewGuid();
        var (_, first) = await f.PutAsync(id, Monthly());

        var changed = Monthly(grade: "요수리", extraAnswers: new() { ["joints"] = "요수리" }, notes: "볼트 풀림");
        var (status, problem) = await f.PutAsync(id, changed);

        Assert.Equal(409, status);
        Assert.Contains(first.GetProperty("receipt").GetString()!, Problems(problem));
        Assert.Equal(first.GetProperty("sha256").GetString(), problem.GetProperty("stored").GetProperty("sha256").GetString());
        var submitted = problem.GetProperty("submitted").GetProperty("sha256").GetString();
        Assert.NotEqual(first.GetProperty("sha256").GetString(), submitted);
        Assert.Equal(1L, await f.Db.ScalarAsync<long>(
            "SELECT count(*) FROM dead_letter WHERE topic = $1 AND reason_code = 'conflict' AND convert_from(payload, 'UTF8')::jsonb->>'notes' = '볼트 풀림'", $"http:PUT /api/inspections/{id}"));
    }

    [Fact]
    public async Task A_photo_says_what_it_shows_the_closure_sign_is_kept_as_such_and_an_unknown_purpose_is_refused_in_Korean()
    {
        var sign = Guid.NewGuid();
        var photo = new { id = sign.ToString(), sha256 = new string('a', 64), bytes = 1000, takenAt = "2026-11-30T10:05:00+09:00", source = "device",
            position = new { lat = Lat, lon = Lon }, purpose = "closure_sign" };
        var closed = Monthly(grade: "이용금지");
        closed["photos"] = new[] { photo };
        var id = Guid.NewGuid();
        var (status, _) = await f.PutAsync(id, closed);
        Assert.Equal(201, status);
        Assert.Equal("closure_sign/device", await f.Db.ScalarAsync<string>("SELECT purpose || '/' || source FROM inspection_photo WHERE inspection_id = $1", id));

        var poster = Monthly();
        poster["photos"] = new[] { photo with { id = Guid.NewGuid().ToString(), purpose = "poster" } };
        var (refused, problem) = await f.PutAsync(Guid.NewGuid(), poster);
        Assert.Equal(400, refused);
        Assert.Contains("\"purpose\" 는 closure_sign (입구의 이용금지 안내문) 이거나 없어야 합니다", Problems(problem));
    }

    [Fact]
    public async Task An_inspection_resting_on_a_check_in_not_yet_sent_is_told_to_send_it_first()
    {
        var checkIn = Guid.NewGuid();
        var id = Guid.NewGuid();

        var (early, problem) = await f.PutAsync(id, Monthly(checkIn: checkIn));
        using var client = f.Client();
        using var posted = await client.PostAsJsonAsync("/api/checkins", new
        {
            id = checkIn, method = "nearby", asset = "PG-I0001", kind = "playground", position = new { lat = Lat, lon = Lon }, accuracy = 5,
        });
        var (later, receipt) = await f.PutAsync(id, Monthly(checkIn: checkIn));

        Assert.Equal(409, early);
        Assert.Equal("checkin_missing", problem.GetProperty("code").GetString());
        Assert.Contains("체크인을 먼저", Problems(problem));
        Assert.Equal(201, (int)posted.StatusCode);
        Assert.Equal(201, later);
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM inspection i JOIN checkin c ON c.id = i.checkin_id WHERE i.id = $1 AND c.client_id = $2", id, checkIn));
        Assert.Equal("PG-I0001", receipt.GetProperty("asset").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Answers_are_checked_against_the_program_and_refused_in_Korean()
    {
        var missing = Monthly();
        ((Dictionary<string, object?>)missing["answers"]!).Remove("signs");
        var wrongGrade = Monthly(grade: "아주 좋음");
        var notAnItem = Monthly(extraAnswers: new() { ["colour"] = "빨강" });
        var tooBig = Monthly();
        tooBig["photos"] = new[] { new { id = Guid.NewGuid().ToString(), sha256 = new string('a', 64), bytes = 11 * 1024 * 1024, source = "device" } };

        var (s1, p1) = await f.PutAsync(Guid.NewGuid(), missing);
        var (s2, p2) = await f.PutAsync(Guid.NewGuid(), wrongGrade);
        var (s3, p3) = await f.PutAsync(Guid.NewGuid(), notAnItem);
        var (s4, p4) = await f.PutAsync(Guid.NewGuid(), tooBig);

        Assert.Equal([400, 400, 400, 400], new[] { s1, s2, s3, s4 });
        Assert.Contains("'안전수칙 등 표시상태' 에 답하지 않았습니다", Problems(p1));
        Assert.Contains("양호·요주의·요수리·이용금지 중 하나", Problems(p2));
        Assert.Contains("'colour' 은(는) 이 프로그램의 항목이 아닙니다", Problems(p3));
        Assert.Contains("11.0 MB", Problems(p4));
        Assert.Contains("10 MB 이하", Problems(p4));
    }

    [Fact]
    public async Task Each_role_is_held_to_its_limits()
    {
        var (viewer, _) = await f.PutAsync(Guid.NewGuid(), Monthly(), "viewer.choi");
        var (committee, _) = await f.PutAsync(Guid.NewGuid(), Monthly(), "committee.jung");
        var (ownAsset, _) = await f.PutAsync(Guid.NewGuid(), Monthly("PG-I0001"), "body.park");
        var (otherAsset, refusal) = await f.PutAsync(Guid.NewGuid(), Monthly("PG-I0002"), "body.park");

        Assert.Equal(403, viewer);
        Assert.Equal(403, committee);
        Assert.Equal(201, ownAsset);
        Assert.Equal(403, otherAsset);
        Assert.Contains("관리주체는 맡은 시설만", Problems(refusal));

        // An inspector cannot take over or correct another's submission, nor read it; an operator reads all.
        var id = Guid.NewGuid();
        await f.PutAsync(id, Monthly());
        var (takeover, _) = await f.PutAsync(id, Monthly(), "inspector.lee");
        using var lee = f.Client("inspector.lee");
        using var correction = await lee.PostAsJsonAsync($"/api/inspections/{id}/corrections", new { reason = "내가 고침", submission = Monthly(grade: "요주의") });
        using var peek = await lee.GetAsync($"/api/inspections/{id}");
        using var operatorView = await f.Client("operator.yoon").GetAsync($"/api/inspections/{id}");
        Assert.Equal(403, takeover);
        Assert.Equal(403, (int)correction.StatusCode);
        Assert.Contains("다른 사람이 접수한 점검은 고칠 수 없습니다", await correction.Content.ReadAsStringAsync());
        Assert.Equal(404, (int)peek.StatusCode);
        Assert.Equal(200, (int)operatorView.StatusCode);

        // The managing body sees only its own assets nearby.
        using var body = f.Client("body.park");
        var near = JsonDocument.Parse(await body.GetStringAsync($"/api/assets/nearby?lat={Lat}&lon={Lon}&radius=1000")).RootElement;
        Assert.Equal(["PG-I0001"], near.EnumerateArray().Select(a => a.GetProperty("code").GetString()).ToArray());
    }

    [Fact]
    public async Task A_correction_is_a_new_version_and_the_first_stays()
    {
        var id = Guid.NewGuid();
        await f.PutAsync(id, Monthly("PG-I0002"));
        using var client = f.Client();

        using var corrected = await client.PostAsJsonAsync($"/api/inspections/{id}/corrections",
            new { reason = "그네 체인 마모를 빠뜨림", submission = Monthly("PG-I0002", grade: "요수리", extraAnswers: new() { ["joints"] = "요수리" }) });
        var detail = JsonDocument.Parse(await client.GetStringAsync($"/api/inspections/{id}")).RootElement;

        Assert.Equal(201, (int)corrected.StatusCode);
        var versions = detail.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal([1, 2], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal("양호", versions[0].GetProperty("content").GetProperty("grade").GetString());
        Assert.Equal("요수리", versions[1].GetProperty("content").GetProperty("grade").GetString());
        Assert.Equal("그네 체인 마모를 빠뜨림", versions[1].GetProperty("reason").GetString());
        Assert.Equal("요수리", detail.GetProperty("receipt").GetProperty("grade").GetString());
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'inspection.correct' AND entity_id = $1", id.ToString()));
    }

    [Fact]
    public async Task What_is_due_nearby_turns_done_when_this_months_check_is_in()
    {
        using var client = f.Client("inspector.lee");
        var before = JsonDocument.Parse(await client.GetStringAsync($"/api/assets/nearby?lat={Lat}&lon={Lon + 0.002}&radius=50")).RootElement;
        var monthly = before[0].GetProperty("programs").EnumerateArray().Single(p => p.GetProperty("program").GetString() == "playground-monthly");

        var (status, _) = await f.PutAsync(Guid.NewGuid(), Now(Monthly("PG-I0002")), "inspector.lee");
        var after = JsonDocument.Parse(await client.GetStringAsync($"/api/assets/nearby?lat={Lat}&lon={Lon + 0.002}&radius=50")).RootElement;

        Assert.Equal("PG-I0002", before[0].GetProperty("code").GetString());
        Assert.True(before[0].GetProperty("distanceMetres").GetDouble() < 1);
        Assert.Matches(new Regex(@"^\d{4}-\d{2}$"), monthly.GetProperty("period").GetString());
        Assert.Equal(201, status);
        Assert.Equal("done", after[0].GetProperty("programs").EnumerateArray().Single(p => p.GetProperty("program").GetString() == "playground-monthly").GetProperty("status").GetString());
        Assert.Contains(after[0].GetProperty("programs").EnumerateArray(), p => p.GetProperty("program").GetString() == "playground-periodic");
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_what_the_app_sends()
    {
        using var anonymous = f.Server.CreateClient();
        var document = JsonDocument.Parse(await anonymous.GetStringAsync("/api/openapi.json")).RootElement;

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var paths = document.GetProperty("paths");
        var put = paths.GetProperty("/api/inspections/{id}").GetProperty("put");
        Assert.True(put.GetProperty("responses").TryGetProperty("409", out _));
        var text = document.GetRawText();
        foreach (var name in new[] { "programVersion", "checkIn", "sha256", "finishedAt", "photoStatus" })
        {
            Assert.Contains($"\"{name}\"", text);
        }
        Assert.True(paths.TryGetProperty("/api/inspections/{id}/photos/{photo}", out _));
        Assert.True(paths.TryGetProperty("/api/checkins", out _));
        Assert.True(paths.TryGetProperty("/api/assets/nearby", out _));
        Assert.True(paths.TryGetProperty("/api/programs", out _));
        Assert.False(paths.TryGetProperty("/login", out _));
    }

    [Fact]
    public async Task The_receipt_carries_the_servers_time_of_receipt_not_the_phones()
    {
        var id = Guid.NewGuid();
        var before = DateTimeOffset.UtcNow;
        var (status, receipt) = await f.PutAsync(id, Monthly());
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(201, status);
        var receivedAt = receipt.GetProperty("receivedAt").GetDateTimeOffset();
        Assert.InRange(receivedAt, before.AddMilliseconds(-1), after.AddMilliseconds(1)); // stored to the microsecond
        Assert.NotEqual(receipt.GetProperty("finishedAt").GetDateTimeOffset(), receivedAt); // the phone said 2026-11-30
        using var client = f.Client();
        var later = JsonDocument.Parse(await client.GetStringAsync($"/api/inspections/{id}/receipt")).RootElement;
        Assert.Equal(receivedAt, later.GetProperty("receivedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_periodic_inspection_records_its_result_date_and_validity_and_a_wrong_one_is_refused_in_Korean()
    {
        await f.Db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom) VALUES ('playground', 'PG-I0003', '정기검사 시험 놀이터', ST_SetSRID(ST_MakePoint({Lon + 0.004}, {Lat}), 4326));
            INSERT INTO playground (asset_id, facility_no) SELECT id, 'I-0003' FROM asset WHERE code = 'PG-I0003';
            """);
        static Dictionary<string, object?> Periodic(Dictionary<string, object?> answers, string? grade = null) => new()
        {
            ["program"] = "playground-periodic", ["programVersion"] = 1, ["subject"] = new { kind = "playground", code = "PG-I0003" },
            ["answers"] = answers, ["grade"] = grade, ["notes"] = "검사기관 합격증명서 사본 확인",
            ["startedAt"] = "2026-11-20T14:00:00+09:00", ["finishedAt"] = "2026-11-20T15:30:00+09:00",
        };
        var passed = new Dictionary<string, object?>
        {
            ["result"] = "합격", ["inspected_on"] = "2026-11-20", ["valid_until"] = "2028-11-19", ["body"] = "한국건설생활환경시험연구원",
        };
        var wrong = new Dictionary<string, object?> { ["result"] = "통과", ["inspected_on"] = "2026/11/20", ["valid_until"] = "내후년" };

        var (refused, problem) = await f.PutAsync(Guid.NewGuid(), Periodic(wrong, grade: "양호"));
        var id = Guid.NewGuid();
        var (status, receipt) = await f.PutAsync(id, Periodic(passed));

        Assert.Equal(400, refused);
        Assert.Contains("'검사 결과' 은(는) 합격·불합격 중 하나여야 합니다", Problems(problem));
        Assert.Contains("'검사일' 은(는) 날짜(예: 2026-12-01)여야 합니다", Problems(problem));
        Assert.Contains("'유효기간 만료일' 은(는) 날짜(예: 2026-12-01)여야 합니다", Problems(problem));
        Assert.Contains("'안전검사기관' 에 답하지 않았습니다", Problems(problem));
        Assert.Contains("이 프로그램에는 종합 판정(grade)이 없습니다", Problems(problem));
        Assert.Equal(201, status);
        Assert.Equal("playground-periodic", receipt.GetProperty("program").GetString());
        Assert.Equal("PG-I0003", receipt.GetProperty("asset").GetProperty("code").GetString());
        Assert.Equal("합격|2026-11-20|2028-11-19|한국건설생활환경시험연구원", await f.Db.ScalarAsync<string>("""
            SELECT concat_ws('|', content->'answers'->>'result', content->'answers'->>'inspected_on', content->'answers'->>'valid_until', content->'answers'->>'body')
            FROM inspection_version WHERE inspection_id = $1
            """, id));
        // The pass starts the playground's two-year validity from the inspection date.
        Assert.Equal("2026-11-20/2028-11-19", await f.Db.ScalarAsync<string>(
            "SELECT p.periodic_valid_from::text || '/' || p.periodic_valid_until::text FROM playground p JOIN asset a ON a.id = p.asset_id WHERE a.code = 'PG-I0003'"));
    }

    [Fact]
    public async Task A_submission_and_its_photo_are_audited_and_a_refused_takeover_is_kept_with_who_tried()
    {
        var photo = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(30_000, seed: 71));
        var id = Guid.NewGuid();
        var (_, receipt) = await f.PutAsync(id, Monthly(photos: [photo]));
        var (uploaded, _) = await f.UploadAsync(id, photo);

        var (takeover, refusal) = await f.PutAsync(id, Monthly(photos: [photo]), "inspector.lee");

        Assert.Equal(201, uploaded);
        Assert.Equal(
            $"inspection.submit/inspector.kim/{receipt.GetProperty("receipt").GetString()},inspection.photo/inspector.kim/{photo.Sha256}",
            await f.Db.ScalarAsync<string>("""
                SELECT string_agg(action || '/' || actor || '/' || coalesce(detail->>'receipt', detail->>'sha256'), ',' ORDER BY id)
                FROM audit_log WHERE entity_type = 'inspection' AND entity_id = $1
                """, id.ToString()));
        Assert.Equal(403, takeover);
        Assert.Contains("다른 사람이 이미 접수했습니다", Problems(refusal));
        // A refusal changes nothing, so it is no audit entry; the attempt is kept whole, with who made it, for review.
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("""
            SELECT count(*) FROM dead_letter WHERE topic = $1 AND reason_code = 'forbidden' AND username = 'inspector.lee'
              AND reason LIKE '%다른 사람이 이미 접수했습니다%' AND convert_from(payload, 'UTF8')::jsonb->>'program' = 'playground-monthly'
            """, $"http:PUT /api/inspections/{id}"));
    }
}
