using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Live;

namespace Paju.Field.Server.Alarms;

public sealed record AlarmView(long Id, string Rule, string Kind, string? Metric, int Priority, string Message, string? Asset,
    DateTimeOffset RaisedAt, double? RaisedValue, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? AckComment,
    DateTimeOffset? ClearedAt, DateTimeOffset? ShelvedUntil, string? ShelvedBy, string? ShelveReason);

public sealed record AcknowledgeRequest(string? Comment);

public sealed record ShelveRequest(int Minutes, string Reason);

/// <summary>/api/alarms: what operators see and do — list, acknowledge, shelve — each action audited.</summary>
public static class AlarmEndpoints
{
    private const int MaxShelveMinutes = 24 * 60;

    private const string SelectAlarms = """
        SELECT a.id, r.code, r.kind, r.metric, a.priority, r.message_ko, s.code, a.raised_at, a.raised_value,
               a.acknowledged_at, a.acknowledged_by, a.ack_comment, a.cleared_at, a.shelved_until, a.shelved_by, a.shelve_reason
        FROM alarm a JOIN alarm_origin r ON r.alarm_id = a.id LEFT JOIN asset s ON s.id = r.asset_id
        """;

    public static void MapAlarms(this IEndpointRouteBuilder app)
    {
        var alarms = app.MapGroup("/api/alarms").RequireAuthorization(Policies.Operator);
        alarms.MapGet("/", List);
        alarms.MapPost("/{id:long}/acknowledge", Acknowledge);
        alarms.MapPost("/{id:long}/shelve", Shelve);
    }

    /// <summary>Open alarms (not cleared, or cleared but never acknowledged) by priority; ?all=true for the last 500.</summary>
    private static async Task<Ok<List<AlarmView>>> List(NpgsqlDataSource db, bool? all, CancellationToken ct)
    {
        var sql = all == true
            ? $"{SelectAlarms} ORDER BY a.id DESC LIMIT 500"
            : $"{SelectAlarms} WHERE a.cleared_at IS NULL OR a.acknowledged_at IS NULL ORDER BY a.priority, a.raised_at";
        await using var cmd = db.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<AlarmView>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new AlarmView(r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt16(4),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetDouble(8),
                Nullable(r, 9), r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11),
                Nullable(r, 12), Nullable(r, 13), r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15)));
        }
        return TypedResults.Ok(list);
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Acknowledge(
        long id, AcknowledgeRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var actor = Actor.From(http);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await LiveLogLock.HoldAsync(conn, tx, ct);   // before the alarm's row: one lock order with the evaluator
        var rule = await RuleOfAsync(conn, tx, id, ct);
        if (rule is null)
        {
            return TypedResults.NotFound();
        }
        await using (var cmd = new NpgsqlCommand("""
            UPDATE alarm SET acknowledged_at = $2, acknowledged_by = $3, ack_comment = $4 WHERE id = $1 AND acknowledged_at IS NULL
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = id });
            cmd.Parameters.Add(new() { Value = clock.GetUtcNow() });
            cmd.Parameters.Add(new() { Value = actor.Name });
            cmd.Parameters.Add(new() { Value = (object?)request.Comment ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return TypedResults.Problem($"경보 {id}은(는) 이미 확인되었습니다.", statusCode: StatusCodes.Status409Conflict);
            }
        }
        await AlarmEvaluator.RecordAsync(conn, tx, id, rule.Value.Code, rule.Value.Priority, rule.Value.Message,
            LiveEventTypes.AlarmAcknowledged, clock.GetUtcNow(), null, actor, new { comment = request.Comment }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Shelve(
        long id, ShelveRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (request.Minutes is < 1 or > MaxShelveMinutes || string.IsNullOrWhiteSpace(request.Reason))
        {
            return TypedResults.Problem($"보류는 1~{MaxShelveMinutes}분, 사유가 필요합니다.", statusCode: StatusCodes.Status400BadRequest);
        }
        var actor = Actor.From(http);
        var until = clock.GetUtcNow().AddMinutes(request.Minutes);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await LiveLogLock.HoldAsync(conn, tx, ct);   // before the alarm's row: one lock order with the evaluator
        var rule = await RuleOfAsync(conn, tx, id, ct);
        if (rule is null)
        {
            return TypedResults.NotFound();
        }
        await using (var cmd = new NpgsqlCommand(
            "UPDATE alarm SET shelved_until = $2, shelved_by = $3, shelve_reason = $4 WHERE id = $1 AND cleared_at IS NULL", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = id });
            cmd.Parameters.Add(new() { Value = until });
            cmd.Parameters.Add(new() { Value = actor.Name });
            cmd.Parameters.Add(new() { Value = request.Reason.Trim() });
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                return TypedResults.Problem($"경보 {id}은(는) 이미 해제되어 보류할 수 없습니다.", statusCode: StatusCodes.Status409Conflict);
            }
        }
        await AlarmEvaluator.RecordAsync(conn, tx, id, rule.Value.Code, rule.Value.Priority, rule.Value.Message,
            LiveEventTypes.AlarmShelved, clock.GetUtcNow(), null, actor, new { until, reason = request.Reason.Trim() }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<(string Code, int Priority, string Message)?> RuleOfAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long alarm, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT r.code, a.priority, r.message_ko FROM alarm a JOIN alarm_origin r ON r.alarm_id = a.id WHERE a.id = $1 FOR UPDATE OF a", conn, tx);
        cmd.Parameters.Add(new() { Value = alarm });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetString(0), r.GetInt16(1), r.GetString(2)) : null;
    }

    private static DateTimeOffset? Nullable(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}
