using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Live;

namespace Paju.Field.Server.Alarms;

/// <summary>
/// Evaluates every enabled alarm rule against the latest readings, at a given instant. Hysteresis:
/// an alarm clears only past its deadband. On-delay: a condition must hold for on_delay_s before
/// the alarm is raised, so a wave on the basin does not flap the alarm. Every transition is
/// written with its audit row and a live-feed event in one transaction. One evaluator at a time
/// (an advisory lock), so several servers can run it safely.
/// </summary>
public sealed class AlarmEvaluator(NpgsqlDataSource db, ILogger<AlarmEvaluator> log)
{
    private static readonly Actor System = Actor.System("alarms");

    private sealed record RuleView(
        int Id, string Code, string Kind, string? Metric, double? Threshold, double Deadband, int OnDelaySeconds, int WindowSeconds,
        short Priority, string Message, int Device, double? Value, DateTimeOffset? ValueAt, bool Online,
        DateTimeOffset? ConditionSince, long? OpenAlarm, DateTimeOffset? ShelvedUntil);

    private const string LoadRules = """
        SELECT r.id, r.code, r.kind, r.metric, r.threshold, r.deadband, r.on_delay_s, r.window_s, r.priority, r.message_ko, r.device,
               CASE jsonb_typeof(l.value) WHEN 'number' THEN (l.value #>> '{}')::float8
                                          WHEN 'boolean' THEN CASE WHEN (l.value #>> '{}')::boolean THEN 1 ELSE 0 END END,
               l.ts, d.online, s.condition_since, a.id, a.shelved_until
        FROM alarm_rule r
        JOIN device d ON d.id = r.device
        LEFT JOIN latest_metric l ON l.device = r.device AND l.metric = r.metric
        LEFT JOIN alarm_rule_state s ON s.rule_id = r.id
        LEFT JOIN alarm a ON a.rule_id = r.id AND a.cleared_at IS NULL
        WHERE r.enabled
        ORDER BY r.id
        """;

    /// <returns>How many alarm transitions this evaluation made.</returns>
    public async Task<int> EvaluateAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var gate = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(hashtext('paju.alarms.evaluate'))", conn, tx))
        {
            if (!(bool)(await gate.ExecuteScalarAsync(ct))!)
            {
                return 0;   // another server is evaluating right now
            }
        }
        var rules = new List<RuleView>();
        await using (var cmd = new NpgsqlCommand(LoadRules, conn, tx))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                rules.Add(new RuleView(r.GetInt32(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetDouble(4), r.GetDouble(5), r.GetInt32(6), r.GetInt32(7), r.GetInt16(8), r.GetString(9),
                    r.GetInt32(10), r.IsDBNull(11) ? null : r.GetDouble(11), r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                    r.GetBoolean(13), r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14),
                    r.IsDBNull(15) ? null : r.GetInt64(15), r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16)));
            }
        }

        var transitions = 0;
        foreach (var rule in rules)
        {
            var value = rule.Kind == AlarmRuleKinds.RateOfRise ? await RateOfRiseAsync(conn, tx, rule, ct) : rule.Value;
            if (rule.OpenAlarm is { } open)
            {
                if (rule.ShelvedUntil is { } until && until <= now)
                {
                    await TransitionAsync(conn, tx, open, rule, LiveEventTypes.AlarmUnshelved, now, value,
                        "UPDATE alarm SET shelved_until = NULL, shelved_by = NULL, shelve_reason = NULL WHERE id = $1", [open], ct);
                    transitions++;
                }
                if (Clears(rule, value, now))
                {
                    await TransitionAsync(conn, tx, open, rule, LiveEventTypes.AlarmCleared, now, value,
                        "UPDATE alarm SET cleared_at = $2 WHERE id = $1", [open, now], ct);
                    transitions++;
                }
                await SaveStateAsync(conn, tx, rule.Id, null, now, ct);
                continue;
            }

            if (!Holds(rule, value, now))
            {
                await SaveStateAsync(conn, tx, rule.Id, null, now, ct);
                continue;
            }
            var since = rule.ConditionSince ?? now;
            if (now - since >= TimeSpan.FromSeconds(rule.OnDelaySeconds))
            {
                await RaiseAsync(conn, tx, rule, value, now, ct);
                transitions++;
                await SaveStateAsync(conn, tx, rule.Id, null, now, ct);
            }
            else
            {
                await SaveStateAsync(conn, tx, rule.Id, since, now, ct);
            }
        }
        await tx.CommitAsync(ct);
        if (transitions > 0)
        {
            log.LogInformation("Alarm evaluation at {Now:O}: {Count} transitions", now, transitions);
        }
        return transitions;
    }

    /// <summary>The raise condition.</summary>
    private static bool Holds(RuleView rule, double? value, DateTimeOffset now) => rule.Kind switch
    {
        AlarmRuleKinds.High or AlarmRuleKinds.HighHigh or AlarmRuleKinds.RateOfRise => value >= rule.Threshold,
        AlarmRuleKinds.Low => value <= rule.Threshold,
        AlarmRuleKinds.NoData => rule.ValueAt is null || (now - rule.ValueAt.Value).TotalSeconds >= rule.Threshold,
        AlarmRuleKinds.Offline => !rule.Online,
        _ => false,
    };

    /// <summary>The clear condition: past the deadband, so a value hovering at the threshold does not flap.</summary>
    private static bool Clears(RuleView rule, double? value, DateTimeOffset now) => rule.Kind switch
    {
        AlarmRuleKinds.High or AlarmRuleKinds.HighHigh or AlarmRuleKinds.RateOfRise => value < rule.Threshold - rule.Deadband,
        AlarmRuleKinds.Low => value > rule.Threshold + rule.Deadband,
        AlarmRuleKinds.NoData => rule.ValueAt is not null && (now - rule.ValueAt.Value).TotalSeconds < rule.Threshold,
        AlarmRuleKinds.Offline => rule.Online,
        _ => false,
    };

    /// <summary>Rise in metres per hour over the rule's window, from the stored readings.</summary>
    private static async Task<double?> RateOfRiseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, RuleView rule, CancellationToken ct)
    {
        if (rule.Value is null || rule.ValueAt is null)
        {
            return null;
        }
        await using var cmd = new NpgsqlCommand("""
            SELECT (metrics ->> $2)::float8, ts FROM telemetry
            WHERE device = $1 AND ts >= $3 AND ts < $4 AND metrics ? $2
            ORDER BY ts LIMIT 1
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = rule.Device });
        cmd.Parameters.Add(new() { Value = rule.Metric! });
        cmd.Parameters.Add(new() { Value = rule.ValueAt.Value.AddSeconds(-rule.WindowSeconds) });
        cmd.Parameters.Add(new() { Value = rule.ValueAt.Value });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        var hours = (rule.ValueAt.Value - r.GetFieldValue<DateTimeOffset>(1)).TotalHours;
        return hours <= 0 ? null : (rule.Value.Value - r.GetDouble(0)) / hours;
    }

    private static async Task RaiseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, RuleView rule, double? value, DateTimeOffset now, CancellationToken ct)
    {
        await LiveLogLock.HoldAsync(conn, tx, ct);
        long id;
        await using (var cmd = new NpgsqlCommand(
            "INSERT INTO alarm (rule_id, priority, raised_at, raised_value) VALUES ($1, $2, $3, $4) RETURNING id", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = rule.Id });
            cmd.Parameters.Add(new() { Value = rule.Priority });
            cmd.Parameters.Add(new() { Value = now });
            cmd.Parameters.Add(new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            id = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        await RecordAsync(conn, tx, id, rule.Code, rule.Priority, rule.Message, LiveEventTypes.AlarmRaised, now, value, System, null, ct);
    }

    private static async Task TransitionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long alarm, RuleView rule, string type,
        DateTimeOffset now, double? value, string sql, object[] parameters, CancellationToken ct)
    {
        await LiveLogLock.HoldAsync(conn, tx, ct);   // before the alarm's row: one lock order with acknowledgements
        await using (var cmd = new NpgsqlCommand(sql, conn, tx))
        {
            foreach (var parameter in parameters)
            {
                cmd.Parameters.Add(new() { Value = parameter });
            }
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await RecordAsync(conn, tx, alarm, rule.Code, rule.Priority, rule.Message, type, now, value, System, null, ct);
    }

    /// <summary>
    /// A transition goes to the live feed and the audit log in the transaction that made it. The
    /// append holds the live log's lock until commit, which keeps the feed's ids in commit order.
    /// </summary>
    internal static async Task RecordAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long alarm, string code, int priority, string message,
        string type, DateTimeOffset at, double? value, Actor actor, object? detail, CancellationToken ct)
    {
        var payload = JsonSerializer.Serialize(new { alarm, rule = code, priority, message, at, value, by = actor.Name, detail });
        await using (var cmd = new NpgsqlCommand("SELECT live_event_append($2, $3, $1)", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = at });
            cmd.Parameters.Add(new() { Value = type });
            cmd.Parameters.Add(new() { Value = payload, NpgsqlDbType = NpgsqlDbType.Jsonb });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, type, "alarm", alarm.ToString(), new { rule = code, value, detail }, ct);
    }

    private static async Task SaveStateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int rule, DateTimeOffset? since, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO alarm_rule_state (rule_id, condition_since, evaluated_at) VALUES ($1, $2, $3)
            ON CONFLICT (rule_id) DO UPDATE SET condition_since = excluded.condition_since, evaluated_at = excluded.evaluated_at
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = rule });
        cmd.Parameters.Add(new() { Value = (object?)since ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
