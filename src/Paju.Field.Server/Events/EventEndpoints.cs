using System.Text.Json;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Events;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Ingest;

namespace Paju.Field.Server.Events;

/// <summary>
/// The festival and event safety reviews over HTTP: the rule (read by all, edited by administrators as a new version),
/// events by month, registering one, and each step of its review. Every refusal is answered in Korean with what to do
/// and the body is kept (dead letters), as for inspections.
/// </summary>
public static class EventEndpoints
{
    private const int MaxBodyBytes = 256 * 1024;

    public static void MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events/rule", RuleAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("심의 대상 판단 규칙 (현재 판): 인원 기준, 제외 조건, 인원과 무관한 대상 조건, 계획서 제출 기한");
        app.MapPut("/api/events/rule", SaveRuleAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("규칙 고치기: 새 판으로 저장 (이후 등록하는 행사부터 적용, 관리자)");
        app.MapGet("/api/events", ListAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("행사 목록 (?month=2027-05, 서울 기준 그 달에 열리는 행사; 계획서 기한 지남 표시)");
        app.MapGet("/api/events/{code}", GetAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("행사 하나: 심의 대상 여부와 근거, 단계, 위원 의견, 지적사항, 단계 기록");
        app.MapPost("/api/events", RegisterAsync).RequireAuthorization(Policies.SignedIn).DisableAntiforgery()
            .WithSummary("행사 등록 (주관 부서 직원 또는 관리자): 심의 대상 여부와 계획서 제출 기한을 돌려줌");
        app.MapPost("/api/events/{code}/plan", PlanAsync).RequireAuthorization(Policies.SignedIn).DisableAntiforgery()
            .WithSummary("안전관리계획서 접수 (주관 부서): 기한을 넘기면 지연으로 표시");
        app.MapPost("/api/events/{code}/opinions", OpinionAsync).RequireAuthorization(Policies.SignedIn).DisableAntiforgery()
            .WithSummary("위원 의견 (위원회 위원: 소속 fire/police/city/expert, 권고 adequate/conditional/supplement, 의견)");
        app.MapPost("/api/events/{code}/review", ReviewAsync).RequireAuthorization(Policies.SignedIn).DisableAntiforgery()
            .WithSummary("심의 결과 (안전총괄과; 소방·경찰 의견이 있어야 함): adequate 적정, conditional 조건부 적정, supplement 보완");
        app.MapPost("/api/events/{code}/confirm-corrections", ConfirmAsync).RequireAuthorization(Policies.SignedIn).DisableAntiforgery()
            .WithSummary("보완 확인 (안전총괄과): 합동점검의 지적사항이 모두 수리·확인된 뒤");
        app.MapPost("/api/events/{code}/close", CloseAsync).RequireAuthorization(Policies.SignedIn).DisableAntiforgery()
            .WithSummary("종료 (안전총괄과): 행사가 끝난 뒤, 사고 건수와 함께");
    }

    private static async Task<IResult> RuleAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var (version, rule) = await EventStore.CurrentRuleAsync(conn, null, ct);
        return Results.Ok(new { version, definition = rule });
    }

    private static async Task<IResult> SaveRuleAsync(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (raw, body, problem) = await ReadAsync(http, ct);
        var actor = Actor.From(http);
        if (body is null)
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", [problem!], ct);
        }
        if (!body.Value.TryGetProperty("definition", out var definition) || definition.ValueKind != JsonValueKind.Object)
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", ["definition (규칙 문서 객체)이 필요합니다."], ct);
        }
        var (rule, problems) = EventReviewRule.Parse(definition.GetRawText());
        if (rule is null)
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", [.. problems], ct);
        }
        var note = body.Value.TryGetProperty("note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var version = await EventStore.SaveRuleAsync(conn, tx, JsonSerializer.Serialize(rule), note, actor, ct);
        await tx.CommitAsync(ct);
        return Results.Ok(new { version, definition = rule });
    }

    private static async Task<IResult> ListAsync(NpgsqlDataSource db, TimeProvider clock, string? month, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        DateOnly first;
        if (month is null)
        {
            first = SeoulCalendar.MonthOf(now);
        }
        else if (!DateOnly.TryParseExact(month + "-01", "yyyy-MM-dd", out first))
        {
            return Results.Problem("month 는 2027-05 꼴입니다.", title: "달을 읽을 수 없습니다", statusCode: 400);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var events = await EventStore.BetweenAsync(conn, SeoulCalendar.StartOfDay(first), SeoulCalendar.StartOfDay(first.AddMonths(1)), ct);
        return Results.Ok(new { month = $"{first:yyyy-MM}", events = events.Select(e => Summary(e, now)) });
    }

    private static object Summary(EventView e, DateTimeOffset now) => new
    {
        e.Code, e.Name, organiser = e.OrganiserName, e.StartsAt, e.EndsAt, e.Address, adminArea = e.AdminArea, e.ExpectedAttendance,
        e.ReviewRequired, e.ReviewReason, e.PlanDueOn, planOverdue = e.PlanOverdue(now), e.PlanLate, e.State, stateName = EventStates.KoreanName(e.State),
        e.ReviewResult, reviewResultName = e.ReviewResult is null ? null : ReviewResults.KoreanName(e.ReviewResult),
        at = new[] { Math.Round(e.Lon, 6), Math.Round(e.Lat, 6) },
    };

    private static async Task<IResult> GetAsync(string code, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await EventStore.FindAsync(conn, null, code, ct) is not { } e)
        {
            return Results.Problem($"행사 {code} 가 없습니다.", title: "행사가 없습니다", statusCode: 404);
        }
        await using var cmd = new NpgsqlCommand("""
            SELECT id, item, label, judged, due_on, state FROM finding WHERE asset_id = $1 ORDER BY id
            """, conn) { Parameters = { new() { Value = e.AssetId } } };
        var findings = new List<object>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                findings.Add(new { id = r.GetInt64(0), item = r.GetString(1), label = r.GetString(2), judged = r.GetString(3), dueOn = r.GetFieldValue<DateOnly>(4), state = r.GetString(5) });
            }
        }
        return Results.Ok(new
        {
            @event = Summary(e, clock.GetUtcNow()), e.OrganiserDepartment, e.Facts, e.RuleVersion, e.PlanRound, e.PlanReceivedAt, e.ReviewNote, e.ReviewedAt,
            e.InspectionId, e.ClosedAt, e.Accidents, venue = JsonDocument.Parse(e.VenueGeoJson).RootElement,
            opinions = await EventStore.OpinionsAsync(conn, e.AssetId, ct), findings, steps = await EventStore.StepsAsync(conn, e.AssetId, ct),
        });
    }

    private static async Task<IResult> RegisterAsync(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = Actor.From(http);
        var (raw, body, problem) = await ReadAsync(http, ct);
        if (body is null)
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", [problem!], ct);
        }
        var (registration, problems) = EventRegistration.Parse(body.Value);
        if (registration is null)
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", problems, ct);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var isAdmin = http.User.IsInRole(Roles.Admin);
        var staff = http.User.IsInRole(Roles.Operator) || http.User.IsInRole(Roles.Inspector);
        var own = await EventStore.DepartmentOfAsync(conn, tx, actor.UserId!.Value, ct);
        var organiser = registration.OrganiserDepartment ?? own;
        if (!isAdmin && (!staff || own is null))
        {
            return await RefuseAsync(http, db, raw, 403, "forbidden", ["행사는 주관 부서의 직원(부서가 지정된 상황실·점검 사용자)이나 관리자가 등록합니다."], ct);
        }
        if (organiser is null)
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", ["주관 부서(organiserDepartment, 부서 코드)가 필요합니다."], ct);
        }
        if (!isAdmin && organiser != own)
        {
            return await RefuseAsync(http, db, raw, 403, "forbidden", [$"다른 부서({organiser})의 행사는 등록할 수 없습니다. 자기 부서({own})의 행사만 등록합니다."], ct);
        }
        if (!await EventStore.DepartmentExistsAsync(conn, tx, organiser, ct))
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", [$"부서 '{organiser}'가 없습니다."], ct);
        }
        var code = await EventStore.RegisterAsync(conn, tx, registration, organiser, actor, isSample: false, ct);
        var e = (await EventStore.FindAsync(conn, tx, code, ct))!;
        await tx.CommitAsync(ct);
        return Results.Json(Summary(e, DateTimeOffset.UtcNow), statusCode: 201);
    }

    private static Task<IResult> PlanAsync(HttpContext http, string code, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        StepAsync(http, code, db, clock, EventAction.SubmitPlan, ct, (body, e, now) =>
        {
            var late = EventReviewRule.IsLate(now, e.PlanDueOn);
            return Task.FromResult<Step>(new(
                "UPDATE event SET state = 'plan_received', plan_round = plan_round + 1, plan_received_at = $2, plan_late = $3, review_result = NULL WHERE asset_id = $1",
                [now, late], late ? $"기한({e.PlanDueOn:yyyy-MM-dd})을 넘겨 접수" : null, new { round = e.PlanRound + 1, late, dueOn = e.PlanDueOn }));
        });

    private static async Task<IResult> OpinionAsync(HttpContext http, string code, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        return await StepAsync(http, code, db, clock, EventAction.GiveOpinion, ct, (body, e, now) =>
        {
            var problems = new List<string>();
            var organisation = Word(body, "organisation", EventWorkflow.Organisations.Keys, problems);
            var recommendation = Word(body, "recommendation", ReviewResults.All, problems);
            var opinion = Note(body, "opinion", problems, required: true);
            if (problems.Count > 0)
            {
                return Task.FromResult<Step>(new(problems));
            }
            // One opinion per member per plan: a second one replaces the first (a member may change their mind before the decision).
            return Task.FromResult<Step>(new("""
                INSERT INTO event_opinion (asset_id, round, member_id, organisation, recommendation, opinion)
                SELECT $1, plan_round, $2, $3, $4, $5 FROM event WHERE asset_id = $1
                ON CONFLICT (asset_id, round, member_id) DO UPDATE SET organisation = EXCLUDED.organisation,
                    recommendation = EXCLUDED.recommendation, opinion = EXCLUDED.opinion, created_at = now()
                """, [Actor.From(http).UserId!.Value, organisation, recommendation, opinion], null,
                new { round = e.PlanRound, organisation, recommendation, opinion }));
        });
    }

    private static Task<IResult> ReviewAsync(HttpContext http, string code, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        StepAsync(http, code, db, clock, EventAction.Review, ct, (body, e, now) =>
        {
            var problems = new List<string>();
            var result = Word(body, "result", ReviewResults.All, problems);
            var note = Note(body, "note", problems, required: result is ReviewResults.Conditional or ReviewResults.Supplement);
            if (problems.Count > 0)
            {
                return Task.FromResult<Step>(new(problems));
            }
            return Task.FromResult<Step>(new(
                "UPDATE event SET state = 'reviewed', review_result = $2, review_note = $3, reviewed_at = $4 WHERE asset_id = $1",
                [result, note, now], $"{ReviewResults.KoreanName(result!)}{(note is null ? "" : $": {note}")}", new { round = e.PlanRound, result, note }));
        });

    private static Task<IResult> ConfirmAsync(HttpContext http, string code, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        StepAsync(http, code, db, clock, EventAction.ConfirmCorrections, ct, (body, e, now) =>
        {
            var problems = new List<string>();
            var note = Note(body, "note", problems, required: false);
            return Task.FromResult<Step>(problems.Count > 0 ? new(problems)
                : new("UPDATE event SET state = 'corrections_confirmed' WHERE asset_id = $1", [], note, null));
        });

    private static Task<IResult> CloseAsync(HttpContext http, string code, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        StepAsync(http, code, db, clock, EventAction.Close, ct, (body, e, now) =>
        {
            var problems = new List<string>();
            int? accidents = body.TryGetProperty("accidents", out var a) && a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out var n) && n is >= 0 and < 10_000 ? n : null;
            if (accidents is null)
            {
                problems.Add("사고 건수(accidents, 0 이상의 정수)가 필요합니다. 사고가 없었으면 0 입니다.");
            }
            var note = Note(body, "note", problems, required: accidents > 0);
            return Task.FromResult<Step>(problems.Count > 0 ? new(problems)
                : new("UPDATE event SET state = 'closed', closed_at = $2, accidents = $3 WHERE asset_id = $1", [now, accidents], note, new { accidents, note }));
        });

    /// <summary>What a step writes, or why its body is refused.</summary>
    private sealed record Step(string? Sql, object?[] Args, string? Note, object? Detail, List<string>? Problems = null)
    {
        public Step(List<string> problems) : this(null, [], null, null, problems) { }
    }

    /// <summary>One step: read the body, lock the event, ask the workflow whether this user may take it now, write it, record it.</summary>
    private static async Task<IResult> StepAsync(HttpContext http, string code, NpgsqlDataSource db, TimeProvider clock, EventAction action, CancellationToken ct,
        Func<JsonElement, EventView, DateTimeOffset, Task<Step>> step)
    {
        var actor = Actor.From(http);
        var (raw, body, problem) = await ReadAsync(http, ct, allowEmpty: true);
        if (body is null)
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", [problem!], ct);
        }
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var locked = await EventStore.LockAsync(conn, tx, code, ct);
        if (locked is null)
        {
            return await RefuseAsync(http, db, raw, 404, "not_found", [$"행사 {code} 가 없습니다."], ct);
        }
        var (e, snapshot) = locked.Value;
        var parties = await EventStore.PartiesAsync(conn, tx, actor.UserId, e.OrganiserDepartment, ct);
        if (EventWorkflow.Refusal(action, snapshot, parties, now) is { } refusal)
        {
            var status = parties.Count == 0 || refusal.StartsWith("이 단계는", StringComparison.Ordinal) ? 403 : 409;
            return await RefuseAsync(http, db, raw, status, status == 403 ? "forbidden" : "not_now", [refusal], ct);
        }
        var write = await step(body.Value, e, now);
        if (write.Problems is { Count: > 0 })
        {
            return await RefuseAsync(http, db, raw, 400, "invalid", write.Problems, ct);
        }
        await EventStore.ApplyAsync(conn, tx, e, action, write.Sql!, write.Args, actor, write.Note, write.Detail, ct);
        var after = (await EventStore.FindAsync(conn, tx, code, ct))!;
        await tx.CommitAsync(ct);
        return Results.Ok(Summary(after, now));
    }

    private static string? Word(JsonElement body, string field, IEnumerable<string> allowed, List<string> problems)
    {
        if (body.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && allowed.Contains(v.GetString()))
        {
            return v.GetString();
        }
        problems.Add($"{field} 는 {string.Join(", ", allowed)} 중 하나입니다.");
        return null;
    }

    private static string? Note(JsonElement body, string field, List<string> problems, bool required)
    {
        if (!body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null
            || (v.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetString())))
        {
            if (required)
            {
                problems.Add($"{field} 에 내용을 적어 주세요 (조건부 적정·보완·사고에는 무엇을 왜 하는지가 필요합니다).");
            }
            return null;
        }
        if (v.ValueKind != JsonValueKind.String || v.GetString()!.Length > 4000 || v.GetString()!.Contains('\0'))
        {
            problems.Add($"{field} 는 4,000자 이하의 글입니다.");
            return null;
        }
        return v.GetString()!.Trim();
    }

    /// <summary>The body as JSON; a body that is not JSON, or too large, is a problem in Korean, not an exception.</summary>
    private static async Task<(byte[] Raw, JsonElement? Body, string? Problem)> ReadAsync(HttpContext http, CancellationToken ct, bool allowEmpty = false)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (buffer.ToArray(), null, $"본문이 너무 큽니다 ({MaxBodyBytes / 1024} KB 이하).");
            }
            buffer.Write(chunk, 0, read);
        }
        var raw = buffer.ToArray();
        if (raw.Length == 0 && allowEmpty)
        {
            return (raw, JsonDocument.Parse("{}").RootElement, null);
        }
        try
        {
            using var document = JsonDocument.Parse(raw, new JsonDocumentOptions { MaxDepth = 32 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (raw, document.RootElement.Clone(), null)
                : (raw, null, "본문은 JSON 객체여야 합니다.");
        }
        catch (JsonException e)
        {
            return (raw, null, $"본문을 JSON 으로 읽을 수 없습니다: {e.Message}");
        }
    }

    /// <summary>Refuses with the problems in Korean, and keeps what was sent under the request's own address.</summary>
    private static async Task<IResult> RefuseAsync(HttpContext http, NpgsqlDataSource db, byte[] body, int status, string code, List<string> problems,
        CancellationToken ct)
    {
        await DeadLetters.KeepAsync(db, Actor.From(http), DeadLetters.TopicOf(http.Request), code, string.Join(" ", problems), body, ct);
        var title = status switch
        {
            403 => "이 단계를 할 권한이 없습니다",
            404 => "행사가 없습니다",
            409 => "지금은 이 단계를 할 수 없습니다",
            _ => "행사 정보를 받을 수 없습니다",
        };
        return Results.Problem(string.Join(" ", problems), title: title, statusCode: status,
            extensions: new Dictionary<string, object?> { ["code"] = code, ["problems"] = problems });
    }
}
