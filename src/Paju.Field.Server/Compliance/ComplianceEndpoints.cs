using System.Security.Claims;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Compliance;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Compliance;

/// <summary>
/// Due and overdue, this month's playground campaign and the half-year's SAPA progress; findings to their repair; the
/// follow-ups of a closure; reopening a closed playground after a passing inspection.
/// </summary>
public static class ComplianceEndpoints
{
    public sealed record RepairRequest(string? Note);

    public sealed record DoneRequest(string? Note);

    public static IServiceCollection AddCompliance(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPajuOptions<ComplianceOptions>(configuration);
        services.AddHttpClient<Reminders>(c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<ComplianceJob>();
        services.AddHostedService(sp => sp.GetRequiredService<ComplianceJob>());
        return services;
    }

    public static void MapCompliance(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/compliance/overview", OverviewAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("이번 달 놀이시설 점검 N/전체 (읍면동별), 반기 공중이용시설 점검 (유형·부서별), 지연·이용금지·지적사항 수");
        app.MapGet("/api/compliance/assets", AssetsAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("시설 × 프로그램의 상태: done, due, due_soon, overdue (?state=overdue&program=…)");
        app.MapGet("/api/reminders", async (Reminders reminders, TimeProvider clock, string? department, CancellationToken ct) =>
                Results.Ok((await reminders.ComputeAsync(clock.GetUtcNow(), ct)).Where(r => department is null || r.Department == department)))
            .RequireAuthorization(Policies.SignedIn).WithSummary("다가오거나 지난 기한 (부서별: ?department=안전총괄과)");
        app.MapComplianceExport();
        app.MapGet("/api/findings", FindingsAsync).RequireAuthorization(Policies.SignedIn).WithSummary("지적사항 (기본: 확인 전)");
        app.MapPost("/api/findings/{id:long}/repair", RepairAsync).RequireAuthorization(Policies.FieldWork).WithSummary("수리 완료 (근거와 함께)");
        app.MapPost("/api/findings/{id:long}/confirm", ConfirmAsync).RequireAuthorization(Policies.FieldWork).WithSummary("수리 확인 (수리한 사람이 아닌 다른 사람)");
        app.MapGet("/api/follow-ups", FollowUpsAsync).RequireAuthorization(Policies.SignedIn).WithSummary("이용금지 후속 조치와 기한");
        app.MapPost("/api/follow-ups/{id:long}/done", FollowUpDoneAsync).RequireAuthorization(Policies.Operator).WithSummary("후속 조치 완료");
        app.MapPost("/api/assets/{kind}/{code}/reopen", ReopenAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("이용금지 해제 (이용금지 뒤의 합격 점검이 있어야 함, 관리자)");
    }

    private static async Task<IResult> OverviewAsync(NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        var overview = await ComplianceOverview.ComputeAsync(conn, now, ct);
        await using var counts = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM finding WHERE state <> 'confirmed'),
                   (SELECT count(*) FROM finding WHERE state = 'open' AND due_on < $1),
                   (SELECT count(*) FROM follow_up WHERE done_at IS NULL),
                   (SELECT count(*) FROM follow_up WHERE done_at IS NULL AND due_on < $1)
            """, conn) { Parameters = { new() { Value = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime) } } };
        long openFindings, overdueFindings, openFollowUps, overdueFollowUps;
        await using (var reader = await counts.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (openFindings, overdueFindings, openFollowUps, overdueFollowUps) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }
        static object Json(Progress p) => new { done = p.Done, total = p.Total, overdue = p.Overdue };
        return Results.Ok(new
        {
            at = now,
            month = $"{SeoulCalendar.MonthOf(now):yyyy-MM}",
            halfYear = SeoulCalendar.HalfYearOf(now).KoreanName,
            playgroundCampaign = new
            {
                progress = Json(overview.Campaign),
                byArea = overview.CampaignByArea.Select(a => new { area = a.Area, progress = Json(a.Progress) }),
            },
            facilityHalfYear = new
            {
                progress = Json(overview.Facility),
                byType = overview.FacilityByType.Select(t => new { type = t.Type, progress = Json(t.Progress) }),
                byDepartment = overview.FacilityByDepartment.Select(d => new { department = d.Department, progress = Json(d.Progress) }),
            },
            overdueAssets = overview.OverdueAssets,
            closedAssets = overview.ClosedAssets,
            findings = new { open = openFindings, overdue = overdueFindings },
            followUps = new { open = openFollowUps, overdue = overdueFollowUps },
        });
    }

    private static async Task<IResult> AssetsAsync(NpgsqlDataSource db, TimeProvider clock, string? state, string? program, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var statuses = await ComplianceStatus.ComputeAsync(conn, null, clock.GetUtcNow(), ct);
        return Results.Ok(statuses
            .OrderBy(s => s.Kind, StringComparer.Ordinal).ThenBy(s => s.Code, StringComparer.Ordinal).ThenBy(s => s.Program, StringComparer.Ordinal)
            .Where(s => state is null || s.Status.Code == state)
            .Where(s => program is null || s.Program == program)
            .Select(s => new { s.Kind, s.Code, s.Name, s.AdminArea, s.Program, state = s.Status.Code, dueOn = s.Status.DueOn, period = s.Status.Period, s.LastFinishedAt, s.Closed }));
    }

    private static async Task<IResult> FindingsAsync(NpgsqlDataSource db, string? state, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT f.id, a.kind, a.code, a.name, f.program, f.item, f.label, f.judged, d.name, f.due_on, f.state, f.opened_at, f.repaired_at, f.repair_note, f.confirmed_at
            FROM finding f JOIN asset a ON a.id = f.asset_id JOIN department d ON d.code = f.department
            WHERE ($1::text = 'all' OR ($1 IS NULL AND f.state <> 'confirmed') OR f.state = $1)
            ORDER BY f.due_on, f.id LIMIT 1000
            """);
        cmd.Parameters.Add(new() { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var list = new List<object>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new
            {
                id = reader.GetInt64(0), asset = new { kind = reader.GetString(1), code = reader.GetString(2), name = reader.GetString(3) },
                program = reader.GetString(4), item = reader.GetString(5), label = reader.GetString(6), judged = reader.GetString(7), owner = reader.GetString(8),
                dueOn = reader.GetFieldValue<DateOnly>(9), state = reader.GetString(10), openedAt = reader.GetFieldValue<DateTimeOffset>(11),
                repairedAt = reader.IsDBNull(12) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(12), repairNote = reader.IsDBNull(13) ? null : reader.GetString(13),
                confirmedAt = reader.IsDBNull(14) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(14),
            });
        }
        return Results.Ok(list);
    }

    private static async Task<IResult> RepairAsync(HttpContext http, long id, RepairRequest request, NpgsqlDataSource db, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Note) || request.Note.Length > 2000)
        {
            return Results.Problem("무엇을 어떻게 고쳤는지 근거(note, 2,000자 이하)를 적어 주세요.", title: "수리 근거가 필요합니다", statusCode: 400);
        }
        var actor = Actor.From(http);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            UPDATE finding SET state = 'repaired', repaired_at = now(), repaired_by = $2, repair_note = $3 WHERE id = $1 AND state = 'open' RETURNING id
            """, conn, tx) { Parameters = { new() { Value = id }, new() { Value = actor.UserId!.Value }, new() { Value = request.Note.Trim() } } };
        if (await cmd.ExecuteScalarAsync(ct) is null)
        {
            return Results.Problem($"지적사항 {id} 가 없거나 이미 수리되었습니다.", title: "수리할 지적사항이 아닙니다", statusCode: 409);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "finding.repair", "finding", id.ToString(), new { note = request.Note }, ct);
        await tx.CommitAsync(ct);
        return Results.Ok(new { id, state = "repaired" });
    }

    private static async Task<IResult> ConfirmAsync(HttpContext http, long id, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = Actor.From(http);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var find = new NpgsqlCommand("SELECT state, repaired_by FROM finding WHERE id = $1 FOR UPDATE", conn, tx) { Parameters = { new() { Value = id } } };
        string? state = null;
        long? repairedBy = null;
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                state = reader.GetString(0);
                repairedBy = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            }
        }
        if (state != "repaired")
        {
            return Results.Problem($"지적사항 {id} 는 수리 완료 상태가 아닙니다 ({state ?? "없음"}).", title: "확인할 수 없습니다", statusCode: 409);
        }
        if (repairedBy == actor.UserId)
        {
            return Results.Problem("수리한 사람이 스스로 확인할 수 없습니다. 다른 사람이 확인해야 합니다.", title: "다른 사람의 확인이 필요합니다", statusCode: 403);
        }
        await using var update = new NpgsqlCommand("UPDATE finding SET state = 'confirmed', confirmed_at = now(), confirmed_by = $2 WHERE id = $1", conn, tx)
        {
            Parameters = { new() { Value = id }, new() { Value = actor.UserId!.Value } },
        };
        await update.ExecuteNonQueryAsync(ct);
        await AuditLog.WriteAsync(conn, tx, actor, "finding.confirm", "finding", id.ToString(), ct: ct);
        await tx.CommitAsync(ct);
        return Results.Ok(new { id, state = "confirmed" });
    }

    private static async Task<IResult> FollowUpsAsync(NpgsqlDataSource db, bool? all, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT u.id, a.kind, a.code, a.name, u.kind, u.due_on, u.done_at, u.note
            FROM follow_up u JOIN asset a ON a.id = u.asset_id
            WHERE $1 OR u.done_at IS NULL ORDER BY u.due_on, u.id
            """);
        cmd.Parameters.Add(new() { Value = all ?? false });
        var list = new List<object>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new
            {
                id = reader.GetInt64(0), asset = new { kind = reader.GetString(1), code = reader.GetString(2), name = reader.GetString(3) },
                kind = reader.GetString(4), label = FollowUpLabel(reader.GetString(4)), dueOn = reader.GetFieldValue<DateOnly>(5),
                doneAt = reader.IsDBNull(6) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(6), note = reader.IsDBNull(7) ? null : reader.GetString(7),
            });
        }
        return Results.Ok(list);
    }

    public static string FollowUpLabel(string kind) => kind switch
    {
        "notify_authority" => "관리감독기관에 지체 없이 통보",
        "cpf_registration" => "어린이놀이시설 안전관리시스템(CPF)에 이용금지 등록",
        "safety_diagnosis" => "안전진단 신청 (1개월 이내, 철거하는 경우 제외)",
        "improvement_plan" => "시설개선계획서 제출 (2개월 이내: 조치·재원·일정)",
        _ => kind,
    };

    private static async Task<IResult> FollowUpDoneAsync(HttpContext http, long id, DoneRequest request, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = Actor.From(http);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand("UPDATE follow_up SET done_at = now(), done_by = $2, note = $3 WHERE id = $1 AND done_at IS NULL RETURNING id", conn, tx)
        {
            Parameters = { new() { Value = id }, new() { Value = actor.UserId!.Value }, new() { Value = (object?)request.Note ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } },
        };
        if (await cmd.ExecuteScalarAsync(ct) is null)
        {
            return Results.Problem($"후속 조치 {id} 가 없거나 이미 끝났습니다.", title: "끝낼 후속 조치가 아닙니다", statusCode: 409);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "follow_up.done", "follow_up", id.ToString(), new { note = request.Note }, ct);
        await tx.CommitAsync(ct);
        return Results.Ok(new { id, done = true });
    }

    /// <summary>Only after a passing inspection made after the closure: a monthly check graded 양호 or 요주의, or a passed periodic inspection.</summary>
    private static async Task<IResult> ReopenAsync(HttpContext http, string kind, string code, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = Actor.From(http);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var find = new NpgsqlCommand("""
            SELECT a.id, a.closed_at,
                   EXISTS (SELECT 1 FROM inspection i JOIN inspection_version v ON v.inspection_id = i.id AND v.version = i.current_version
                           WHERE i.asset_id = a.id AND i.finished_at > a.closed_at
                             AND ((i.program = 'playground-monthly' AND i.grade IN ('양호', '요주의'))
                               OR (i.program = 'playground-periodic' AND v.content->'answers'->>'result' = '합격')))
            FROM asset a WHERE a.kind = $1 AND a.code = $2 FOR UPDATE OF a
            """, conn, tx) { Parameters = { new() { Value = kind }, new() { Value = code } } };
        long assetId;
        bool closed, passed;
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return Results.NotFound();
            }
            (assetId, closed, passed) = (reader.GetInt64(0), !reader.IsDBNull(1), reader.GetBoolean(2));
        }
        if (!closed)
        {
            return Results.Problem($"{code} 는 이용금지 상태가 아닙니다.", title: "해제할 것이 없습니다", statusCode: 409);
        }
        if (!passed)
        {
            return Results.Problem("이용금지 뒤에 합격한 점검(월 점검 양호·요주의, 또는 정기시설검사 합격)이 있어야 다시 열 수 있습니다.",
                title: "합격한 점검이 필요합니다", statusCode: 409);
        }
        await using (var reopen = new NpgsqlCommand("UPDATE asset SET closed_at = NULL, closed_reason = NULL WHERE id = $1", conn, tx) { Parameters = { new() { Value = assetId } } })
        {
            await reopen.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "asset.reopen", "asset", code, new { kind }, ct);
        await AssetState.RestyleAsync(conn, tx, assetId, ct);
        await AssetState.AnnounceAsync(conn, tx, [assetId], ct);
        await tx.CommitAsync(ct);
        return Results.Ok(new { kind, code, closed = false });
    }
}
