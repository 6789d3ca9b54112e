using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Paju.Field.Tests.Inspections.InspectionFixture;

namespace Paju.Field.Tests.Inspections;

/// <summary>Programs are data: an administrator's edit is a new version; inspections keep the version they were filled with.</summary>
public sealed class ProgramVersionTests(InspectionFixture f) : IClassFixture<InspectionFixture>
{
    [Fact]
    public async Task An_edit_makes_a_new_version_and_inspections_keep_theirs()
    {
        using var admin = f.Client("admin.han");
        var current = JsonNode.Parse(await admin.GetStringAsync("/api/programs"))!.AsArray();
        var monthly = current.Single(p => p!["code"]!.GetValue<string>() == "playground-monthly")!;
        Assert.Equal(1, monthly["version"]!.GetValue<int>());
        Assert.Equal("안전총괄과", monthly["departmentName"]!.GetValue<string>());
        Assert.Equal(4, monthly["definition"]!["overall"]!["values"]!.AsArray().Count);
        Assert.Contains("이미 사고가 발생함", monthly["definition"]!["overall"]!["values"]![3]!["meaning"]!.GetValue<string>());

        var edited = monthly["definition"]!.DeepClone().AsObject();
        edited["items"]!.AsArray().Add(new JsonObject { ["id"] = "surface_depth", ["label"] = "충격흡수 바닥재 깊이", ["type"] = "number", ["unit"] = "cm", ["required"] = true, ["min"] = 0, ["max"] = 100 });
        using var put = await admin.PutAsync("/api/programs/playground-monthly", new StringContent(edited.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(2, JsonNode.Parse(await put.Content.ReadAsStringAsync())!["version"]!.GetValue<int>());

        // A phone that still has version 1 submits against version 1; one that has version 2 must answer the new item.
        var (old, oldReceipt) = await f.PutAsync(Guid.NewGuid(), Monthly("PG-I0002", version: 1));
        var (missing, problem) = await f.PutAsync(Guid.NewGuid(), Monthly("PG-I0002", version: 2));
        var (outOfRange, rangeProblem) = await f.PutAsync(Guid.NewGuid(), Monthly("PG-I0002", version: 2, extraAnswers: new() { ["surface_depth"] = 250 }));
        var (fresh, freshReceipt) = await f.PutAsync(Guid.NewGuid(), Monthly("PG-I0002", version: 2, extraAnswers: new() { ["surface_depth"] = 30 }));

        Assert.Equal(201, old);
        Assert.Equal(1, oldReceipt.GetProperty("programVersion").GetInt32());
        Assert.Equal(400, missing);
        Assert.Contains("'충격흡수 바닥재 깊이' 에 답하지 않았습니다", Problems(problem));
        Assert.Equal(400, outOfRange);
        Assert.Contains("0–100 사이의 숫자(cm)", Problems(rangeProblem));
        Assert.Equal(201, fresh);
        Assert.Equal(2, freshReceipt.GetProperty("programVersion").GetInt32());
        var versions = JsonNode.Parse(await admin.GetStringAsync("/api/programs/playground-monthly/versions"))!.AsArray();
        Assert.Equal([1, 2], versions.Select(v => v!["version"]!.GetValue<int>()));
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'program.version' AND entity_id = 'playground-monthly'"));
    }

    [Fact]
    public async Task Only_administrators_edit_and_a_definition_the_app_could_not_fill_is_refused()
    {
        using var inspector = f.Client();
        using var admin = f.Client("admin.han");
        const string bad = """{"name": "잘못된 정의", "cadence": "weekly", "items": [{"id": "A b", "label": "", "type": "colour", "required": true}]}""";

        using var byInspector = await inspector.PutAsync("/api/programs/facility-semiannual", new StringContent(bad, Encoding.UTF8, "application/json"));
        using var invalid = await admin.PutAsync("/api/programs/facility-semiannual", new StringContent(bad, Encoding.UTF8, "application/json"));
        var detail = JsonDocument.Parse(await invalid.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();

        Assert.Equal(HttpStatusCode.Forbidden, byInspector.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("주기(cadence)는 monthly, semiannual, biennial, once 중 하나", detail);
        Assert.Contains("종류 'colour' 는 없습니다", detail);
        Assert.Single(JsonNode.Parse(await admin.GetStringAsync("/api/programs/facility-semiannual/versions"))!.AsArray());
    }

    [Fact]
    public async Task A_facility_is_checked_with_the_items_of_its_type()
    {
        var answers = new Dictionary<string, object?>
        {
            ["statutory_inspections"] = true, ["findings_fixed"] = true, ["annual_plan"] = true, ["people_budget"] = true, ["emergency"] = true,
            ["contractors"] = false, ["safety_grade"] = "B",
        };
        object Submission(Dictionary<string, object?> a) => new Dictionary<string, object?>
        {
            ["program"] = "facility-semiannual", ["programVersion"] = 1, ["subject"] = new { kind = "public_facility", code = "BR-I01" },
            ["answers"] = a, ["grade"] = "보완 필요", ["startedAt"] = "2026-11-30T10:00:00+09:00", ["finishedAt"] = "2026-11-30T11:00:00+09:00",
        };

        var (ok, _) = await f.PutAsync(Guid.NewGuid(), Submission(answers));
        var (wrongType, problem) = await f.PutAsync(Guid.NewGuid(), Submission(new(answers) { ["fire_systems"] = true }));

        Assert.Equal(201, ok);
        Assert.Equal(400, wrongType);
        Assert.Contains("'소방시설 작동 점검' 은(는) 이 시설 유형에 해당하지 않는 항목입니다", Problems(problem));
    }

    [Fact]
    public async Task Text_date_and_required_photo_items_are_checked_and_the_edited_version_is_what_the_app_gets()
    {
        using var admin = f.Client("admin.han");
        JsonNode Current(string code, JsonArray programs) => programs.Single(p => p!["code"]!.GetValue<string>() == code)!;
        var before = JsonNode.Parse(await admin.GetStringAsync("/api/programs"))!.AsArray();
        var periodic = Current("playground-periodic", before);
        Assert.Equal(1, periodic["version"]!.GetValue<int>());
        // The statutory monthly items carry prompts: what to look at on each kind of equipment.
        var joints = Current("playground-monthly", before)["definition"]!["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == "joints")!;
        Assert.Contains("그네 고리·체인 마모", joints["prompts"]!.AsArray().Select(p => p!.GetValue<string>()));

        // The certificate's photo becomes required, and a text item with prompts of its own is added.
        var edited = periodic["definition"]!.DeepClone().AsObject();
        edited["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == "certificate")!["required"] = true;
        edited["items"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "findings", ["label"] = "지적 사항", ["type"] = "text", ["required"] = true, ["prompts"] = new JsonArray("미끄럼틀", "그네", "바닥재"),
        });
        using var put = await admin.PutAsync("/api/programs/playground-periodic", new StringContent(edited.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        // What the app downloads now is version 2, with both changes.
        using var inspector = f.Client();
        var after = Current("playground-periodic", JsonNode.Parse(await inspector.GetStringAsync("/api/programs"))!.AsArray());
        Assert.Equal(2, after["version"]!.GetValue<int>());
        var items = after["definition"]!["items"]!.AsArray();
        Assert.True(items.Single(i => i!["id"]!.GetValue<string>() == "certificate")!["required"]!.GetValue<bool>());
        Assert.Equal(["미끄럼틀", "그네", "바닥재"], items.Single(i => i!["id"]!.GetValue<string>() == "findings")!["prompts"]!.AsArray().Select(p => p!.GetValue<string>()));

        var photo = new Photo(Guid.NewGuid(), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4]);
        Dictionary<string, object?> Submission(Dictionary<string, object?> changes, bool withPhoto = true)
        {
            var answers = new Dictionary<string, object?>
            {
                ["result"] = "합격", ["inspected_on"] = "2026-11-20", ["body"] = "한국건설생활환경시험연구원", ["findings"] = "미끄럼틀 난간 도색 필요", ["certificate"] = photo.Id.ToString(),
            };
            foreach (var (k, v) in changes)
            {
                answers[k] = v;
            }
            return new()
            {
                ["program"] = "playground-periodic", ["programVersion"] = 2, ["subject"] = new { kind = "playground", code = "PG-I0002" }, ["answers"] = answers,
                ["startedAt"] = "2026-11-20T14:00:00+09:00", ["finishedAt"] = "2026-11-20T15:00:00+09:00",
                ["photos"] = withPhoto ? new[] { new { id = photo.Id.ToString(), sha256 = photo.Sha256, bytes = photo.Bytes.Length, source = "device" } } : null,
            };
        }

        var (noPhoto, p1) = await f.PutAsync(Guid.NewGuid(), Submission(new() { ["certificate"] = null }, withPhoto: false));
        var (unannounced, p2) = await f.PutAsync(Guid.NewGuid(), Submission(new() { ["certificate"] = Guid.NewGuid().ToString() }));
        var (notText, p3) = await f.PutAsync(Guid.NewGuid(), Submission(new() { ["findings"] = 42 }));
        var (tooLong, p4) = await f.PutAsync(Guid.NewGuid(), Submission(new() { ["findings"] = new string('가', 4001) }));
        var (notDate, p5) = await f.PutAsync(Guid.NewGuid(), Submission(new() { ["inspected_on"] = "2026-11-31" }));
        var (right, receipt) = await f.PutAsync(Guid.NewGuid(), Submission([]));

        Assert.Equal([400, 400, 400, 400, 400], new[] { noPhoto, unannounced, notText, tooLong, notDate });
        Assert.Contains("'검사 합격증명서' 에 답하지 않았습니다", Problems(p1));
        Assert.Contains("'검사 합격증명서' 은(는) 함께 알린 사진(photos)의 id 여야 합니다", Problems(p2));
        Assert.Contains("'지적 사항' 은(는) 4,000자 이하의 글이어야 합니다", Problems(p3));
        Assert.Contains("'지적 사항' 은(는) 4,000자 이하의 글이어야 합니다", Problems(p4));
        Assert.Contains("'검사일' 은(는) 날짜(예: 2026-12-01)여야 합니다", Problems(p5));
        Assert.Equal(201, right);
        Assert.Equal(2, receipt.GetProperty("programVersion").GetInt32());
        Assert.Equal("사진 0/1", receipt.GetProperty("photoStatus").GetString());
    }
}
