using System.Globalization;
using System.Text;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Inspections;

namespace Paju.Field.Server.Reports;

/// <summary>
/// The operators' queue of citizens' reports (접수 → 확인 중 → 조치 완료 / 반려): triage (which clears an urgent report's
/// alarm), assignment, the public result note, photos and a CSV export. Contact details are shown here only, to operators,
/// and every action is audited.
/// </summary>
public static class ReportEndpoints
{
    public sealed record TriageRequest(string? Assignee);

    public sealed record AssignRequest(string Assignee);

    public sealed record CloseRequest(string? Note);

    private const string Select = """
        SELECT r.id, r.receipt, a.kind, a.code, a.name, r.received_at, r.description, r.injured, r.injuries, r.urgent, r.state,
               u.username, r.triaged_at, r.result_note, r.closed_at, r.seen_too, c.name, c.phone, c.delete_after,
               ST_Y(coalesce(r.position, ST_PointOnSurface(a.geom))), ST_X(coalesce(r.position, ST_PointOnSurface(a.geom))),
               (SELECT count(*) FROM report_photo p WHERE p.report_id = r.id),
               (SELECT al.id FROM alarm al WHERE al.report_id = r.id AND al.cleared_at IS NULL)
        FROM report r JOIN asset a ON a.id = r.asset_id
        LEFT JOIN app_user u ON u.id = r.assigned_to
        LEFT JOIN report_contact c ON c.report_id = r.id
        """;

    public static IServiceCollection AddReports(this IServiceCollection services)
    {
        services.AddSingleton<ReportLimits>();
        services.AddHostedService<ReportRetention>();
        return services;
    }

    public static void MapReports(this IEndpointRouteBuilder app)
    {
        app.MapReportPages();
        var reports = app.MapGroup("/api/reports").RequireAuthorization(Policies.Operator);
        reports.MapGet("/", ListAsync).WithSummary("시민 신고 (기본: 처리 중인 것, 긴급 먼저; ?state=all)");
        reports.MapGet("/export", ExportAsync).WithSummary("신고 CSV (UTF-8, BOM; ?from=2026-12-01&to=2026-12-31, 서울 날짜)");
        reports.MapGet("/{id:long}/photos/{n:int}", PhotoAsync).WithSummary("신고 사진");
        reports.MapPost("/{id:long}/triage", TriageAsync).WithSummary("확인 시작 (긴급 경보 해제, 담당자 지정 가능)");
        reports.MapPost("/{id:long}/assign", AssignAsync).WithSummary("담당자 지정");
        reports.MapPost("/{id:long}/resolve", (long id, CloseRequest r, HttpContext h, NpgsqlDataSource db, TimeProvider c, CancellationToken ct) =>
            CloseAsync(id, "resolved", r, h, db, c, ct)).WithSummary("조치 완료 (공개 결과 메모 필수)");
        reports.MapPost("/{id:long}/reject", (long id, CloseRequest r, HttpContext h, NpgsqlDataSource db, TimeProvider c, CancellationToken ct) =>
            CloseAsync(id, "rejected", r, h, db, c, ct)).WithSummary("반려 (공개 사유 필수)");
    }

    private static async Task<IResult> ListAsync(NpgsqlDataSource db, string? state, CancellationToken ct)
    {
        var where = state == "all" ? "" : "WHERE r.state IN ('received', 'in_review')";
        await using var cmd = db.CreateCommand($"{Select} {where} ORDER BY r.urgent DESC, r.received_at LIMIT 500");
        var list = new List<object>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new
            {
                id = r.GetInt64(0), receipt = r.GetString(1), asset = new { kind = r.GetString(2), code = r.GetString(3), name = r.GetString(4) },
                receivedAt = r.GetFieldValue<DateTimeOffset>(5), description = r.GetString(6), injured = r.GetBoolean(7),
                injuries = r.GetFieldValue<string[]>(8), urgent = r.GetBoolean(9), state = r.GetString(10), stateKo = ReportStore.KoreanState(r.GetString(10)),
                assignee = r.IsDBNull(11) ? null : r.GetString(11), triagedAt = Nullable(r, 12), resultNote = r.IsDBNull(13) ? null : r.GetString(13),
                closedAt = Nullable(r, 14), seenToo = r.GetInt32(15),
                contact = r.IsDBNull(18) ? null : new { name = r.IsDBNull(16) ? null : r.GetString(16), phone = r.IsDBNull(17) ? null : r.GetString(17), deleteAfter = r.GetFieldValue<DateTimeOffset>(18) },
                lat = r.GetDouble(19), lon = r.GetDouble(20), photos = r.GetInt64(21), openAlarm = r.IsDBNull(22) ? (long?)null : r.GetInt64(22),
            });
        }
        return Results.Ok(list);
    }

    private static async Task<IResult> PhotoAsync(long id, int n, NpgsqlDataSource db, IPhotoStore photos, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT sha256, media_type FROM report_photo WHERE report_id = $1 AND n = $2");
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = (short)Math.Clamp(n, 0, 99) });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Results.Stream(photos.Open(r.GetFieldValue<byte[]>(0)), r.GetString(1)) : Results.NotFound();
    }

    private static async Task<IResult> TriageAsync(long id, TriageRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var actor = Actor.From(http);
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long? assignee = null;
        if (request.Assignee is { Length: > 0 } name && (assignee = await UserIdAsync(conn, tx, name, ct)) is null)
        {
            return Results.Problem($"담당자 '{name}' 계정이 없습니다.", statusCode: StatusCodes.Status400BadRequest);
        }
        await using (var cmd = new NpgsqlCommand("""
            UPDATE report SET state = 'in_review', triaged_at = coalesce(triaged_at, $2), assigned_to = coalesce($3, assigned_to, $4), updated_at = $2
            WHERE id = $1 AND state IN ('received', 'in_review')
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = id });
            cmd.Parameters.Add(new() { Value = now });
            cmd.Parameters.Add(new() { Value = (object?)assignee ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            cmd.Parameters.Add(new() { Value = (object?)actor.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return await MissingOrClosedAsync(conn, tx, id, ct);
            }
        }
        await ReportStore.ClearAlarmAsync(conn, tx, id, now, actor, ct);
        await AuditLog.WriteAsync(conn, tx, actor, "report.triage", "report", id.ToString(CultureInfo.InvariantCulture), new { assignee = request.Assignee }, ct);
        await tx.CommitAsync(ct);
        return Results.NoContent();
    }

    private static async Task<IResult> AssignAsync(long id, AssignRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await UserIdAsync(conn, tx, request.Assignee ?? "", ct) is not { } user)
        {
            return Results.Problem($"담당자 '{request.Assignee}' 계정이 없습니다.", statusCode: StatusCodes.Status400BadRequest);
        }
        await using (var cmd = new NpgsqlCommand("UPDATE report SET assigned_to = $2, updated_at = now() WHERE id = $1 AND state IN ('received', 'in_review')", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = id });
            cmd.Parameters.Add(new() { Value = user });
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return await MissingOrClosedAsync(conn, tx, id, ct);
            }
        }
        await AuditLog.WriteAsync(conn, tx, Actor.From(http), "report.assign", "report", id.ToString(CultureInfo.InvariantCulture), new { assignee = request.Assignee }, ct);
        await tx.CommitAsync(ct);
        return Results.NoContent();
    }

    private static async Task<IResult> CloseAsync(long id, string state, CloseRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var note = request.Note?.Trim() ?? "";
        if (note.Length is < 2 or > 2000)
        {
            return Results.Problem(state == "resolved"
                ? "시민에게 보일 조치 결과를 2자 이상 2,000자 이하로 적어 주세요."
                : "시민에게 보일 반려 사유를 2자 이상 2,000자 이하로 적어 주세요.", statusCode: StatusCodes.Status400BadRequest);
        }
        var actor = Actor.From(http);
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("""
            UPDATE report SET state = $2, result_note = $3, closed_at = $4, triaged_at = coalesce(triaged_at, $4), updated_at = $4,
                              assigned_to = coalesce(assigned_to, $5)
            WHERE id = $1 AND state IN ('received', 'in_review')
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = id });
            cmd.Parameters.Add(new() { Value = state });
            cmd.Parameters.Add(new() { Value = note });
            cmd.Parameters.Add(new() { Value = now });
            cmd.Parameters.Add(new() { Value = (object?)actor.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return await MissingOrClosedAsync(conn, tx, id, ct);
            }
        }
        await ReportStore.ClearAlarmAsync(conn, tx, id, now, actor, ct);
        await AuditLog.WriteAsync(conn, tx, actor, $"report.{state}", "report", id.ToString(CultureInfo.InvariantCulture), new { note }, ct);
        await tx.CommitAsync(ct);
        return Results.NoContent();
    }

    private static async Task<IResult> ExportAsync(NpgsqlDataSource db, HttpContext http, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var (start, end) = (from ?? DateOnly.FromDateTime(SeoulCalendar.ToSeoul(DateTimeOffset.UtcNow).DateTime).AddDays(-30), to ?? DateOnly.MaxValue.AddDays(-1));
        await using var cmd = db.CreateCommand($"{Select} WHERE r.received_at >= $1 AND r.received_at < $2 ORDER BY r.received_at");
        cmd.Parameters.Add(new() { Value = SeoulCalendar.StartOfDay(start).ToUniversalTime() });
        cmd.Parameters.Add(new() { Value = to is null ? DateTimeOffset.MaxValue.ToUniversalTime() : SeoulCalendar.StartOfDay(end.AddDays(1)).ToUniversalTime() });
        var csv = new StringBuilder("접수번호,접수 시각 (서울),시설 종류,시설 코드,시설 이름,내용,다친 사람,긴급,상태,담당자,결과,함께 본 사람,사진,위도,경도\r\n");
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                csv.AppendJoin(',', Csv(r.GetString(1)), Csv(SeoulCalendar.ToSeoul(r.GetFieldValue<DateTimeOffset>(5)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)),
                    Csv(Assets.AssetKinds.KoreanName(r.GetString(2))), Csv(r.GetString(3)), Csv(r.GetString(4)), Csv(r.GetString(6)),
                    r.GetBoolean(7) ? "예" : "아니오", r.GetBoolean(9) ? "예" : "아니오", Csv(ReportStore.KoreanState(r.GetString(10))),
                    Csv(r.IsDBNull(11) ? "" : r.GetString(11)), Csv(r.IsDBNull(13) ? "" : r.GetString(13)),
                    r.GetInt32(15).ToString(CultureInfo.InvariantCulture), r.GetInt64(21).ToString(CultureInfo.InvariantCulture),
                    r.GetDouble(19).ToString("0.000000", CultureInfo.InvariantCulture), r.GetDouble(20).ToString("0.000000", CultureInfo.InvariantCulture)).Append("\r\n");
            }
        }
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            await AuditLog.WriteAsync(conn, null, Actor.From(http), "report.export", "report", $"{start:yyyy-MM-dd}..{(to is null ? "" : $"{end:yyyy-MM-dd}")}", null, ct);
        }
        var bytes = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(csv.ToString())).ToArray();
        return Results.File(bytes, "text/csv; charset=utf-8", $"paju-reports-{start:yyyyMMdd}.csv");
    }

    private static async Task<long?> UserIdAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string username, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT id FROM app_user WHERE username = $1 AND disabled_at IS NULL", conn, tx) { Parameters = { new() { Value = username } } };
        return await cmd.ExecuteScalarAsync(ct) as long?;
    }

    private static async Task<IResult> MissingOrClosedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT state FROM report WHERE id = $1", conn, tx) { Parameters = { new() { Value = id } } };
        return await cmd.ExecuteScalarAsync(ct) is string state
            ? Results.Problem($"신고 {id}은(는) 이미 {ReportStore.KoreanState(state)} 상태입니다.", statusCode: StatusCodes.Status409Conflict)
            : Results.NotFound();
    }

    private static DateTimeOffset? Nullable(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private static string Csv(string value) => Tags.SdmSheet.Csv(value);
}
