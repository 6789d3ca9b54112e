using Paju.Field.Server.Live;
using Npgsql;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Alarms;

/// <summary>
/// Escalates alarms of priority 1–2 left unacknowledged (and not shelved) for AfterMinutes. Each
/// alarm is claimed in a transaction that records the escalation (live feed and audit) before the
/// gateway is called, so two servers never send it twice; a gateway that fails every retry is
/// recorded as such, for operators to see.
/// </summary>
public sealed class AlarmEscalator(NpgsqlDataSource db, IAlarmNotifier notifier, EscalationOptions options, ILogger<AlarmEscalator> log)
{
    public const string Escalated = "alarm.escalated";
    public const string EscalationFailed = "alarm.escalation_failed";
    private static readonly Actor System = Actor.System("escalation");

    public async Task<int> EscalateAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(options.WebhookUrl))
        {
            return 0;
        }
        var claimed = new List<AlarmNotification>();
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await LiveLogLock.HoldAsync(conn, tx, ct);   // before the alarms' rows: one lock order with acknowledgements
            await using (var cmd = new NpgsqlCommand("""
                UPDATE alarm a SET escalated_at = $1
                FROM alarm_origin r
                WHERE r.alarm_id = a.id AND a.priority <= 2 AND a.escalated_at IS NULL AND a.acknowledged_at IS NULL
                  AND a.cleared_at IS NULL AND (a.shelved_until IS NULL OR a.shelved_until <= $1)
                  AND a.raised_at <= $1 - make_interval(secs => $2)
                RETURNING a.id, r.code, a.priority, r.message_ko, a.raised_at, a.raised_value
                """, conn, tx))
            {
                cmd.Parameters.Add(new() { Value = now });
                cmd.Parameters.Add(new() { Value = options.AfterMinutes * 60 });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    claimed.Add(new AlarmNotification(r.GetInt64(0), r.GetString(1), r.GetInt16(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                        r.IsDBNull(5) ? null : r.GetDouble(5), $"{options.AfterMinutes:0.#}분 동안 확인되지 않은 {r.GetInt16(2)}순위 경보"));
                }
            }
            foreach (var n in claimed)
            {
                await AlarmEvaluator.RecordAsync(conn, tx, n.Alarm, n.Rule, n.Priority, n.Message, Escalated, now, n.Value, System, null, ct);
            }
            await tx.CommitAsync(ct);
        }

        foreach (var n in claimed)
        {
            if (!await notifier.NotifyAsync(n, ct))
            {
                log.LogError("Alarm {Alarm} ({Rule}) could not be escalated: the gateway refused every attempt", n.Alarm, n.Rule);
                await using var conn = await db.OpenConnectionAsync(ct);
                await using var tx = await conn.BeginTransactionAsync(ct);
                await AlarmEvaluator.RecordAsync(conn, tx, n.Alarm, n.Rule, n.Priority, n.Message, EscalationFailed, now, n.Value, System, null, ct);
                await tx.CommitAsync(ct);
            }
        }
        return claimed.Count;
    }
}
