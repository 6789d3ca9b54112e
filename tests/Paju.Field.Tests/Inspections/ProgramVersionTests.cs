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
}
