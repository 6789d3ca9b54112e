using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Events;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Events;

/// <summary>
/// The joint on-site inspection is an ordinary inspection (program <c>event-joint</c>) with the event as its subject: the
/// engine stores it with its photos and positions and makes a finding of every item answered 아니오. This is what it
/// means for the event: it may be filed only once the plan was reviewed (not 보완), by the division; it moves the event to
/// 현장 합동점검 완료; and its findings are due before the event opens, whatever the engine's default.
/// </summary>
public static class EventJointInspection
{
    public const string Program = "event-joint";

    /// <returns>Why this inspection cannot be filed now, or null.</returns>
    public static async Task<(string Reason, bool Forbidden)?> RefusalAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string code, Actor actor,
        DateTimeOffset now, CancellationToken ct)
    {
        var locked = await EventStore.LockAsync(conn, tx, code, ct);
        if (locked is null)
        {
            return ($"행사 {code} 가 없습니다.", false);
        }
        var (e, snapshot) = locked.Value;
        var parties = await EventStore.PartiesAsync(conn, tx, actor.UserId, e.OrganiserDepartment, ct);
        var refusal = EventWorkflow.Refusal(EventAction.JointInspection, snapshot, parties, now);
        return refusal is null ? null : (refusal, refusal.StartsWith("이 단계는", StringComparison.Ordinal));
    }

    /// <summary>In the inspection's transaction, after the engine's effects: the step, and the findings' due date.</summary>
    public static async Task RecordAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string code, Guid inspectionId, Actor actor, CancellationToken ct)
    {
        var (e, _) = (await EventStore.LockAsync(conn, tx, code, ct))!.Value;
        // Corrections are due the day before the event opens (Seoul), or today when that has passed.
        var opening = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(e.StartsAt).DateTime);
        await using (var due = new NpgsqlCommand("""
            UPDATE finding SET due_on = GREATEST(LEAST(due_on, $2), opened_at::date) WHERE inspection_id = $1
            """, conn, tx) { Parameters = { new() { Value = inspectionId }, new() { Value = opening.AddDays(-1) } } })
        {
            await due.ExecuteNonQueryAsync(ct);
        }
        await EventStore.ApplyAsync(conn, tx, e, EventAction.JointInspection,
            "UPDATE event SET state = 'inspected', inspection_id = $2 WHERE asset_id = $1", [inspectionId], actor, null,
            new { inspection = inspectionId }, ct);
    }
}
