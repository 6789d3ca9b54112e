using System.Globalization;
using NetTopologySuite.Geometries;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Events;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Compliance;
using Paju.Field.Server.Events;
using Paju.Field.Server.Inspections;

namespace Paju.Field.Server.Seeding;

/// <summary>
/// The festival reviews' history and this season's events, so the yearly report and the control room's event layer have
/// the city's shape: 56 reviewed events in 2023 and 55 in 2024 (domain facts), none with an accident, each with its joint
/// inspection (about a quarter with findings, all corrected and confirmed); and a handful around today in every state,
/// one with its plan overdue. Registered through the same rule and code as the API; names start with [샘플].
/// </summary>
public static class SampleEvents
{
    public static readonly IReadOnlyDictionary<int, int> ReviewsPerYear = new Dictionary<int, int> { [2023] = 56, [2024] = 55 };
    private const int ReceiptBase = 90000;   // apart from the playgrounds' sample receipts (80000)

    private static readonly string[] Kinds = ["봄꽃 축제", "가을 문화제", "음악회", "먹거리 장터", "체육대회", "농산물 축제", "어린이날 행사", "해맞이 행사", "평화 걷기", "마을 잔치"];
    private static readonly string[] Organisers = ["culture", "tourism", "sports"];
    private static readonly string[] FailingItems = ["crowd", "exits", "fire_equipment", "electric_gas", "safety_staff", "medical", "structures"];
    private static readonly string[] Items = ["plan_followed", "exits", "structures", "electric_gas", "fire_equipment", "safety_staff", "medical", "crowd"];

    private sealed record Planned(long AssetId, string Code, DateTimeOffset StartsAt, DateTimeOffset EndsAt, DateOnly DueOn, Point At);

    public static async Task<int> WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Random random, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        var inspector = await SampleHistory.SampleInspectorAsync(conn, tx, ct);
        var joint = (await ProgramStore.VersionAsync(conn, tx, EventJointInspection.Program, 1, ct))!;
        var checks = new List<(SampleHistory.Check Check, Planned Event, string[] Failed)>();
        var count = 0;
        foreach (var (year, reviews) in ReviewsPerYear)
        {
            for (var n = 0; n < reviews; n++)
            {
                // The festival season: March to November, opening late morning, one to three days.
                var day = new DateOnly(year, 3, 1).AddDays(random.Next(0, 275));
                var starts = SeoulCalendar.StartOfDay(day).AddHours(10 + random.Next(0, 4)).ToUniversalTime();
                var facts = new EventFacts(random.Next(10, 300) * 100, false, false, true, false, random.NextDouble() < 0.05, random.NextDouble() < 0.08,
                    random.NextDouble() < 0.15, random.NextDouble() < 0.1);
                var e = await RegisterAsync(conn, tx, random, starts, starts.AddDays(random.Next(1, 4)).AddHours(-2), facts, actor, ct);
                var late = random.NextDouble() < 0.05;
                var received = SeoulCalendar.StartOfDay(e.DueOn.AddDays(late ? 2 : -random.Next(0, 6))).AddHours(15).ToUniversalTime();
                var reviewed = received.AddDays(7);
                var result = random.NextDouble() < 0.8 ? ReviewResults.Adequate : ReviewResults.Conditional;
                await UpdateAsync(conn, tx, e.Code, """
                    UPDATE event SET state = 'closed', plan_round = 1, plan_received_at = $2, plan_late = $3, review_result = $4, reviewed_at = $5,
                                     review_note = CASE WHEN $4 = 'conditional' THEN '[샘플] 조건: 안전요원 추가 배치' END, closed_at = $6, accidents = 0
                    WHERE asset_id = (SELECT id FROM asset WHERE kind = 'event' AND code = $1)
                    """, [received, late, result, reviewed, e.EndsAt.AddDays(1)], ct);
                var failed = random.NextDouble() < 0.25
                    ? FailingItems.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToArray()
                    : [];
                checks.Add((Joint(e, failed), e, failed));
                count++;
            }
        }

        // This season around today: one event in each state the division meets, one plan overdue.
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime);
        DateTimeOffset At(int days, int hour) => SeoulCalendar.StartOfDay(today.AddDays(days)).AddHours(hour).ToUniversalTime();
        var upcoming = new (string State, int StartDay, int People, bool Fireworks)[]
        {
            ("due_soon", 31, 8000, false), ("overdue", 12, 3000, true), ("plan_received", 25, 12000, false),
            ("reviewed", 8, 5000, false), ("ongoing", -1, 20000, true), ("not_required", 5, 300, false),
        };
        foreach (var (state, startDay, people, fireworks) in upcoming)
        {
            var starts = At(startDay, 11);
            var e = await RegisterAsync(conn, tx, random, starts, starts.AddDays(state == "ongoing" ? 2 : 1).AddHours(-3),
                new EventFacts(people, false, false, true, false, false, false, fireworks, false), actor, ct);
            switch (state)
            {
                case "plan_received":
                    await UpdateAsync(conn, tx, e.Code, """
                        UPDATE event SET state = 'plan_received', plan_round = 1, plan_received_at = $2, plan_late = false
                        WHERE asset_id = (SELECT id FROM asset WHERE kind = 'event' AND code = $1)
                        """, [now.AddDays(-2)], ct);
                    break;
                case "reviewed":
                    await UpdateAsync(conn, tx, e.Code, """
                        UPDATE event SET state = 'reviewed', plan_round = 1, plan_received_at = $2, plan_late = false, review_result = 'adequate', reviewed_at = $3
                        WHERE asset_id = (SELECT id FROM asset WHERE kind = 'event' AND code = $1)
                        """, [now.AddDays(-20), now.AddDays(-10)], ct);
                    break;
                case "ongoing":
                    await UpdateAsync(conn, tx, e.Code, """
                        UPDATE event SET state = 'corrections_confirmed', plan_round = 1, plan_received_at = $2, plan_late = false, review_result = 'conditional',
                                         review_note = '[샘플] 조건: 불꽃 발사 지점 반경 100 m 통제', reviewed_at = $3
                        WHERE asset_id = (SELECT id FROM asset WHERE kind = 'event' AND code = $1)
                        """, [now.AddDays(-30), now.AddDays(-20)], ct);
                    checks.Add((Joint(e, []), e, []));
                    break;
            }
            count++;
        }

        await SampleHistory.InsertAsync(conn, tx, [.. checks.Select(c => c.Check)], inspector, ct, ReceiptBase);
        foreach (var (check, e, failed) in checks)
        {
            // The engine's effects open a finding per 아니오; in the history each was corrected before the event and confirmed.
            await ComplianceEffects.ApplyAsync(conn, tx, check.Id, check.AssetId, check.Submission, joint, actor, ct);
            await UpdateAsync(conn, tx, e.Code, """
                WITH ev AS (UPDATE event SET inspection_id = $2 WHERE asset_id = (SELECT id FROM asset WHERE kind = 'event' AND code = $1) RETURNING asset_id)
                UPDATE finding SET due_on = $3, state = 'confirmed', repaired_at = $4, repair_note = '[샘플] 보완 완료', confirmed_at = $5
                WHERE inspection_id = $2
                """, [check.Id, DateOnly.FromDateTime(SeoulCalendar.ToSeoul(e.StartsAt).DateTime).AddDays(-1),
                    check.FinishedAt.AddHours(20).ToUniversalTime(), check.FinishedAt.AddHours(26).ToUniversalTime()], ct);
        }
        await StepsAsync(conn, tx, ct);
        return count;
    }

    private static async Task<Planned> RegisterAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Random random, DateTimeOffset starts, DateTimeOffset ends,
        EventFacts facts, Actor actor, CancellationToken ct)
    {
        var unit = RepresentativePoints.All[random.Next(RepresentativePoints.All.Count)];
        // Within half the unit's spread of its representative point (a park, a square, a school ground): never outside the city.
        var at = new Point(unit.Lon + (random.NextDouble() - 0.5) * unit.Spread / 87_700, unit.Lat + (random.NextDouble() - 0.5) * unit.Spread / 111_000) { SRID = 4326 };
        var name = $"{SampleSeeder.Label} {unit.Name} {Kinds[random.Next(Kinds.Length)]}";
        var registration = new EventRegistration(name, null, starts, ends, at, $"경기도 파주시 {unit.Name} 일원", facts);
        var code = await EventStore.RegisterAsync(conn, tx, registration, Organisers[random.Next(Organisers.Length)], actor, isSample: true, ct);
        var e = (await EventStore.FindAsync(conn, tx, code, ct))!;
        return new Planned(e.AssetId, code, starts, ends, e.PlanDueOn, at);
    }

    private static SampleHistory.Check Joint(Planned e, string[] failed)
    {
        var finished = e.StartsAt.AddDays(-2).AddHours(3);
        var body = new Dictionary<string, object?>
        {
            ["program"] = EventJointInspection.Program, ["programVersion"] = 1, ["subject"] = new { kind = "event", code = e.Code },
            ["answers"] = Items.ToDictionary(i => i, i => (object)!failed.Contains(i)),
            ["grade"] = failed.Length == 0 ? "적정" : "보완 필요", ["notes"] = "[샘플] 현장 합동점검",
            ["position"] = new { lat = e.At.Y, lon = e.At.X }, ["accuracy"] = 10.0,
            ["startedAt"] = finished.AddHours(-1).ToString("o", CultureInfo.InvariantCulture), ["finishedAt"] = finished.ToString("o", CultureInfo.InvariantCulture),
        };
        return SampleHistory.Build(e.AssetId, EventJointInspection.Program, finished, body, failed.Length == 0 ? "적정" : "보완 필요", latest: true);
    }

    private static async Task UpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string code, string sql, object[] args, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { Parameters = { new() { Value = code } } };
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new() { Value = arg });
        }
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The history's steps at the dates they happened (registration 45 days before the start).</summary>
    private static async Task StepsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE event_step s SET at = e.starts_at - interval '45 days'
            FROM event e JOIN asset a ON a.id = e.asset_id WHERE s.asset_id = e.asset_id AND a.is_sample AND s.action = 'register';
            INSERT INTO event_step (asset_id, action, from_state, to_state, at, by_name, note)
            SELECT e.asset_id, s.action, s.from_state, s.to_state, s.at, '[샘플] 안전총괄과', '[샘플]'
            FROM event e JOIN asset a ON a.id = e.asset_id
            CROSS JOIN LATERAL (VALUES
                ('plan', 'registered', 'plan_received', e.plan_received_at),
                ('review', 'plan_received', 'reviewed', e.reviewed_at),
                ('joint_inspection', 'reviewed', 'inspected', (SELECT i.finished_at FROM inspection i WHERE i.id = e.inspection_id)),
                ('confirm_corrections', 'inspected', 'corrections_confirmed', (SELECT i.finished_at + interval '1 day' FROM inspection i WHERE i.id = e.inspection_id)),
                ('close', 'corrections_confirmed', 'closed', e.closed_at)) AS s(action, from_state, to_state, at)
            WHERE a.is_sample AND s.at IS NOT NULL
            """, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
