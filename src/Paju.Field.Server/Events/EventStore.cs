using Npgsql;
using NpgsqlTypes;
using Paju.Field.Calendar;
using Paju.Field.Events;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Events;

/// <summary>An event with its review as the API shows it.</summary>
public sealed record EventView(long AssetId, string Code, string Name, string OrganiserDepartment, string OrganiserName,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, string? Address, string? AdminArea, int ExpectedAttendance, IReadOnlyDictionary<string, bool> Facts,
    bool ReviewRequired, string ReviewReason, int RuleVersion, DateOnly PlanDueOn, string State, int PlanRound, DateTimeOffset? PlanReceivedAt,
    bool? PlanLate, string? ReviewResult, string? ReviewNote, DateTimeOffset? ReviewedAt, Guid? InspectionId, DateTimeOffset? ClosedAt, int? Accidents,
    string VenueGeoJson, double Lon, double Lat)
{
    /// <summary>A plan not in by the end of its due day (Seoul) while one is still awaited.</summary>
    public bool PlanOverdue(DateTimeOffset now) => ReviewRequired && State == EventStates.Registered
        && DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime) > PlanDueOn;
}

/// <summary>
/// Events and their reviews in PostGIS: registering one (judged by the rule version in force, its plan due date set), the
/// steps of the workflow (each checked by <see cref="EventWorkflow"/>, recorded as an <c>event_step</c> and in the audit
/// log, in the caller's transaction), and reading them back.
/// </summary>
public static class EventStore
{
    public const string Division = "safety";   // 안전총괄과 runs the reviews

    public static async Task<(int Version, EventReviewRule Rule)> CurrentRuleAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT version, definition::text FROM event_rule_version ORDER BY version DESC LIMIT 1", conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var version = reader.GetInt32(0);
        var (rule, problems) = EventReviewRule.Parse(reader.GetString(1));
        return rule is null
            ? throw new InvalidOperationException($"event rule version {version} is not applicable: {string.Join(" ", problems)}")
            : (version, rule);
    }

    /// <summary>A new version of the rule (an administrator's edit): applies to events registered from now on.</summary>
    public static async Task<int> SaveRuleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string definition, string? note, Actor actor, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO event_rule_version (version, definition, created_by, note)
            SELECT coalesce(max(version), 0) + 1, $1::jsonb, $2, $3 FROM event_rule_version RETURNING version
            """, conn, tx)
        {
            Parameters = { new() { Value = definition }, new() { Value = actor.Name }, new() { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } },
        };
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE event_rule_version IN EXCLUSIVE MODE", conn, tx))
        {
            await lockTable.ExecuteNonQueryAsync(ct);
        }
        var version = (int)(await cmd.ExecuteScalarAsync(ct))!;
        await AuditLog.WriteAsync(conn, tx, actor, "event.rule", "event_rule_version", version.ToString(), new { note }, ct);
        return version;
    }

    /// <summary>The parts a user plays in an event: organiser (staff of its department), the division (its staff), committee, admin.</summary>
    public static async Task<HashSet<EventParty>> PartiesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long? userId, string organiserDepartment, CancellationToken ct)
    {
        var parties = new HashSet<EventParty>();
        if (userId is null)
        {
            return parties;
        }
        await using var cmd = new NpgsqlCommand("SELECT role, department FROM app_user WHERE id = $1 AND disabled_at IS NULL", conn, tx)
        {
            Parameters = { new() { Value = userId.Value } },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return parties;
        }
        var role = reader.GetString(0);
        var department = reader.IsDBNull(1) ? null : reader.GetString(1);
        var staff = role is Roles.Operator or Roles.Inspector;
        if (role == Roles.Admin)
        {
            parties.Add(EventParty.Admin);
        }
        if (role == Roles.Committee)
        {
            parties.Add(EventParty.Committee);
        }
        if (staff && department == organiserDepartment)
        {
            parties.Add(EventParty.Organiser);
        }
        if (staff && department == Division)
        {
            parties.Add(EventParty.Division);
        }
        return parties;
    }

    public static async Task<string?> DepartmentOfAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long userId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT department FROM app_user WHERE id = $1", conn, tx) { Parameters = { new() { Value = userId } } };
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    public static async Task<bool> DepartmentExistsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string code, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM department WHERE code = $1)", conn, tx) { Parameters = { new() { Value = code } } };
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Registers an event: an asset of kind event at the venue's point, its facts, the rule's decision and the plan's due date.</summary>
    public static async Task<string> RegisterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, EventRegistration r, string organiser, Actor actor,
        bool isSample, CancellationToken ct)
    {
        var (version, rule) = await CurrentRuleAsync(conn, tx, ct);
        var decision = rule.Decide(r.Facts);
        var dueOn = rule.PlanDueOn(r.StartsAt);
        var year = SeoulCalendar.ToSeoul(r.StartsAt).Year;
        // EV-{year}-{n}: one number per year of the start, drawn under a lock so two registrations never share one.
        await using (var lockYear = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('paju.event.code'), $1)", conn, tx) { Parameters = { new() { Value = year } } })
        {
            await lockYear.ExecuteNonQueryAsync(ct);
        }
        await using var insert = new NpgsqlCommand("""
            WITH n AS (
                SELECT coalesce(max(substring(code FROM '^EV-\d{4}-(\d+)$')::int), 0) + 1 AS next
                FROM asset WHERE kind = 'event' AND code LIKE 'EV-' || $1::text || '-%'),
            a AS (
                INSERT INTO asset (kind, code, name, geom, admin_area_code, address, source, is_sample)
                SELECT 'event', 'EV-' || $1::text || '-' || lpad(n.next::text, 4, '0'), $2,
                       ST_PointOnSurface($3), admin_area_code_of(ST_PointOnSurface($3)), $4, $5, $6
                FROM n RETURNING id, code)
            INSERT INTO event (asset_id, organiser_department, starts_at, ends_at, venue, expected_attendance, simple_ceremony, indoor,
                               temporary_structures, on_mountain, on_water, fire, fireworks, gas, review_required, review_reason, rule_version, plan_due_on)
            SELECT a.id, $7, $8, $9, $3, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22 FROM a
            RETURNING asset_id, (SELECT code FROM a)
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = year }, new() { Value = r.Name }, new() { Value = r.Venue },
                new() { Value = (object?)r.Address ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = isSample ? "sample" : "event registration" }, new() { Value = isSample },
                new() { Value = organiser }, new() { Value = r.StartsAt }, new() { Value = r.EndsAt }, new() { Value = r.Facts.ExpectedAttendance },
                new() { Value = r.Facts.SimpleCeremony }, new() { Value = r.Facts.Indoor }, new() { Value = r.Facts.TemporaryStructures },
                new() { Value = r.Facts.OnMountain }, new() { Value = r.Facts.OnWater }, new() { Value = r.Facts.Fire },
                new() { Value = r.Facts.Fireworks }, new() { Value = r.Facts.Gas },
                new() { Value = decision.Required }, new() { Value = decision.Reason }, new() { Value = version }, new() { Value = dueOn },
            },
        };
        long assetId;
        string code;
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (assetId, code) = (reader.GetInt64(0), reader.GetString(1));
        }
        await StepAsync(conn, tx, assetId, "register", null, EventStates.Registered, actor, decision.Reason, ct);
        await AuditLog.WriteAsync(conn, tx, actor, "event.register", "event", code,
            new { r.Name, organiser, r.StartsAt, r.EndsAt, attendance = r.Facts.ExpectedAttendance, decision.Required, decision.Reason, ruleVersion = version, planDueOn = dueOn }, ct);
        if (!isSample)
        {
            await AnnounceAsync(conn, tx, code, EventStates.Registered, ct);
        }
        return code;
    }

    private const string ViewSql = """
        SELECT a.id, a.code, a.name, e.organiser_department, d.name, e.starts_at, e.ends_at, a.address, coalesce(z.name, a.admin_area_code),
               e.expected_attendance, e.simple_ceremony, e.indoor, e.temporary_structures, e.on_mountain, e.on_water, e.fire, e.fireworks, e.gas,
               e.review_required, e.review_reason, e.rule_version, e.plan_due_on, e.state, e.plan_round, e.plan_received_at, e.plan_late,
               e.review_result, e.review_note, e.reviewed_at, e.inspection_id, e.closed_at, e.accidents, ST_AsGeoJSON(e.venue, 6),
               ST_X(a.geom), ST_Y(a.geom)
        FROM event e JOIN asset a ON a.id = e.asset_id JOIN department d ON d.code = e.organiser_department
        LEFT JOIN admin_area z ON z.code = a.admin_area_code
        """;

    public static async Task<EventView?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string code, CancellationToken ct) =>
        (await ReadAsync(conn, tx, "a.code = $1", [code], ct)).FirstOrDefault();

    /// <summary>Events under way at some time in [from, to): a month's list, the map's upcoming and ongoing events.</summary>
    public static Task<List<EventView>> BetweenAsync(NpgsqlConnection conn, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        ReadAsync(conn, null, "e.starts_at < $2 AND e.ends_at > $1 ORDER BY e.starts_at, a.code", [from.ToUniversalTime(), to.ToUniversalTime()], ct);

    private static async Task<List<EventView>> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string where, object[] args, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"{ViewSql} WHERE {where}", conn, tx);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new() { Value = arg });
        }
        var list = new List<EventView>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            DateTimeOffset? T(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
            var facts = new Dictionary<string, bool>
            {
                ["simple_ceremony"] = r.GetBoolean(10), ["indoor"] = r.GetBoolean(11), ["temporary_structures"] = r.GetBoolean(12),
                ["on_mountain"] = r.GetBoolean(13), ["on_water"] = r.GetBoolean(14), ["fire"] = r.GetBoolean(15), ["fireworks"] = r.GetBoolean(16),
                ["gas"] = r.GetBoolean(17),
            };
            list.Add(new EventView(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetFieldValue<DateTimeOffset>(5),
                r.GetFieldValue<DateTimeOffset>(6), S(7), S(8), r.GetInt32(9), facts, r.GetBoolean(18), r.GetString(19), r.GetInt32(20),
                r.GetFieldValue<DateOnly>(21), r.GetString(22), r.GetInt32(23), T(24), r.IsDBNull(25) ? null : r.GetBoolean(25), S(26), S(27), T(28),
                r.IsDBNull(29) ? null : r.GetGuid(29), T(30), r.IsDBNull(31) ? null : r.GetInt32(31), r.GetString(32),
                r.GetDouble(33), r.GetDouble(34)));
        }
        return list;
    }

    /// <summary>What the workflow needs to judge a step, with the event's row locked for the step.</summary>
    public static async Task<(EventView Event, EventSnapshot Snapshot)?> LockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string code, CancellationToken ct)
    {
        await using (var lockRow = new NpgsqlCommand(
            "SELECT 1 FROM event e JOIN asset a ON a.id = e.asset_id WHERE a.kind = 'event' AND a.code = $1 FOR UPDATE OF e", conn, tx)
        {
            Parameters = { new() { Value = code } },
        })
        {
            if (await lockRow.ExecuteScalarAsync(ct) is null)
            {
                return null;
            }
        }
        var e = (await FindAsync(conn, tx, code, ct))!;
        await using var cmd = new NpgsqlCommand("""
            SELECT (SELECT coalesce(array_agg(DISTINCT organisation), '{}') FROM event_opinion WHERE asset_id = $1 AND round = $2),
                   (SELECT count(*)::int FROM finding WHERE asset_id = $1 AND state <> 'confirmed')
            """, conn, tx) { Parameters = { new() { Value = e.AssetId }, new() { Value = e.PlanRound } } };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var snapshot = new EventSnapshot(e.State, e.ReviewRequired, e.ReviewResult, e.EndsAt,
            reader.GetFieldValue<string[]>(0).ToHashSet(), reader.GetInt32(1));
        return (e, snapshot);
    }

    public static async Task StepAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long assetId, string action, string? from, string to, Actor actor,
        string? note, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO event_step (asset_id, action, from_state, to_state, by_user, by_name, note) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = assetId }, new() { Value = action }, new() { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = to }, new() { Value = (object?)actor.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint }, new() { Value = actor.Name },
                new() { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Runs one SQL update of the event's row for a step, then records the step and audits it.</summary>
    public static async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, EventView e, EventAction action, string sql, object?[] args,
        Actor actor, string? note, object? detail, CancellationToken ct)
    {
        await using (var cmd = new NpgsqlCommand(sql, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = e.AssetId });
            foreach (var arg in args)
            {
                cmd.Parameters.Add(arg is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter { Value = arg });
            }
            await cmd.ExecuteNonQueryAsync(ct);
        }
        var to = EventWorkflow.Next(action, e.State);
        var name = ActionName(action);
        await StepAsync(conn, tx, e.AssetId, name, e.State, to, actor, note, ct);
        await AuditLog.WriteAsync(conn, tx, actor, $"event.{name}", "event", e.Code, detail ?? new { from = e.State, to, note }, ct);
        await AnnounceAsync(conn, tx, e.Code, to, ct);
    }

    /// <summary>The room's event list and layer follow each step (appended last, as the live log asks).</summary>
    public static async Task AnnounceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string code, string state, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT live_event_append($1, jsonb_build_object('code', $2::text, 'state', $3::text))", conn, tx)
        {
            Parameters = { new() { Value = Live.LiveEventTypes.EventStep }, new() { Value = code }, new() { Value = state } },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static string ActionName(EventAction action) => action switch
    {
        EventAction.SubmitPlan => "plan",
        EventAction.GiveOpinion => "opinion",
        EventAction.Review => "review",
        EventAction.JointInspection => "joint_inspection",
        EventAction.ConfirmCorrections => "confirm_corrections",
        EventAction.Close => "close",
        _ => action.ToString(),
    };

    public static async Task<List<object>> StepsAsync(NpgsqlConnection conn, long assetId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT action, from_state, to_state, at, by_name, note FROM event_step WHERE asset_id = $1 ORDER BY at, id
            """, conn) { Parameters = { new() { Value = assetId } } };
        var list = new List<object>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new { action = r.GetString(0), from = r.IsDBNull(1) ? null : r.GetString(1), to = r.GetString(2), at = r.GetFieldValue<DateTimeOffset>(3),
                by = r.GetString(4), note = r.IsDBNull(5) ? null : r.GetString(5) });
        }
        return list;
    }

    public static async Task<List<object>> OpinionsAsync(NpgsqlConnection conn, long assetId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT o.round, u.display_name, o.organisation, o.recommendation, o.opinion, o.created_at
            FROM event_opinion o JOIN app_user u ON u.id = o.member_id WHERE o.asset_id = $1 ORDER BY o.round, o.created_at
            """, conn) { Parameters = { new() { Value = assetId } } };
        var list = new List<object>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new { round = r.GetInt32(0), member = r.GetString(1), organisation = r.GetString(2),
                organisationName = EventWorkflow.Organisations[r.GetString(2)], recommendation = r.GetString(3),
                recommendationName = ReviewResults.KoreanName(r.GetString(3)), opinion = r.GetString(4), at = r.GetFieldValue<DateTimeOffset>(5) });
        }
        return list;
    }
}
