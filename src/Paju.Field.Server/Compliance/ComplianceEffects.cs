using System.Text.Json;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Compliance;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Inspections;

namespace Paju.Field.Server.Compliance;

/// <summary>
/// What an inspection changes, in its own transaction: the asset's grade; a finding for every item below 양호 (or a duty
/// not met); and for a monthly check graded 이용금지 or a failed periodic inspection, the 이용금지 chain — the asset closed
/// at once and the statute's follow-ups dated (the supervising authority told now, 안전진단 applied for within a month,
/// 시설개선계획서 within two, the closure registered in CPF). A passed periodic inspection sets the new validity.
/// </summary>
public static class ComplianceEffects
{
    public const string Passing = "합격";
    public static readonly IReadOnlyList<string> BelowGood = ["요주의", "요수리", "이용금지"];

    /// <summary>Days a finding has, by how it was judged.</summary>
    public static int FindingDays(string judged) => judged switch
    {
        "이용금지" => 0,
        "요수리" => 14,
        "요주의" => 30,
        _ => 90, // a SAPA duty not met: before the next half-yearly check
    };

    public static async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid inspectionId, long assetId, InspectionSubmission s,
        ProgramView program, Actor actor, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(s.FinishedAt).DateTime);
        var changed = false;
        // Findings: grade items below 양호, yes/no duties answered no.
        foreach (var item in program.Definition.Items)
        {
            if (!s.Answers.TryGetProperty(item.Id, out var answer))
            {
                continue;
            }
            string? judged = item.Type switch
            {
                "grade" when answer.ValueKind == JsonValueKind.String && BelowGood.Contains(answer.GetString()) => answer.GetString(),
                "yesno" when answer.ValueKind == JsonValueKind.False => "아니오",
                _ => null,
            };
            if (judged is null)
            {
                continue;
            }
            await using var finding = new NpgsqlCommand("""
                INSERT INTO finding (asset_id, inspection_id, program, item, label, judged, department, due_on)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (inspection_id, item) DO NOTHING
                """, conn, tx)
            {
                Parameters =
                {
                    new() { Value = assetId }, new() { Value = inspectionId }, new() { Value = program.Code }, new() { Value = item.Id },
                    new() { Value = item.Label }, new() { Value = judged }, new() { Value = program.Department }, new() { Value = today.AddDays(FindingDays(judged)) },
                },
            };
            await finding.ExecuteNonQueryAsync(ct);
        }

        string? closeReason = null;
        if (program.Code == "playground-monthly" && s.Grade is { } grade)
        {
            // Only a newer check than the one the asset shows moves its grade (a late upload of an older check does not);
            // the map and the feed hear of it only when the grade actually changed.
            await using var update = new NpgsqlCommand("""
                WITH newer AS (SELECT EXISTS (SELECT 1 FROM playground WHERE asset_id = $1 AND graded_at > $3) AS found),
                p AS (
                    UPDATE playground SET grade = $2, graded_at = $3
                    WHERE asset_id = $1 AND (graded_at IS NULL OR graded_at <= $3))
                UPDATE asset SET grade = $2 WHERE id = $1 AND grade IS DISTINCT FROM $2 AND NOT (SELECT found FROM newer)
                RETURNING id
                """, conn, tx) { Parameters = { new() { Value = assetId }, new() { Value = grade }, new() { Value = s.FinishedAt } } };
            changed = await update.ExecuteScalarAsync(ct) is not null;
            if (grade == "이용금지")
            {
                var items = program.Definition.Items.Where(i => s.Answers.TryGetProperty(i.Id, out var a) && a.ValueKind == JsonValueKind.String && a.GetString() == "이용금지")
                    .Select(i => i.Label).ToList();
                closeReason = $"월 안전점검 이용금지 판정{(items.Count > 0 ? $" ({string.Join(", ", items)})" : "")}{(s.Notes is null ? "" : $": {s.Notes}")}";
            }
        }
        if (program.Code == "playground-periodic" && s.Answers.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.String)
        {
            if (result.GetString() == Passing)
            {
                var passedOn = s.Answers.TryGetProperty("inspected_on", out var on) && DateOnly.TryParse(on.GetString(), out var d) ? d : today;
                await using var previous = new NpgsqlCommand("SELECT periodic_valid_until FROM playground WHERE asset_id = $1", conn, tx) { Parameters = { new() { Value = assetId } } };
                var old = await previous.ExecuteScalarAsync(ct) is DateOnly until ? until : (DateOnly?)null;
                var (from, to) = ComplianceRules.PeriodicValidity(passedOn, old);
                await using var store = new NpgsqlCommand("UPDATE playground SET periodic_valid_from = $2, periodic_valid_until = $3 WHERE asset_id = $1", conn, tx)
                {
                    Parameters = { new() { Value = assetId }, new() { Value = from }, new() { Value = to } },
                };
                await store.ExecuteNonQueryAsync(ct);
            }
            else
            {
                closeReason = "정기시설검사 불합격";
            }
        }
        if (closeReason is not null)
        {
            await CloseAsync(conn, tx, inspectionId, assetId, s.FinishedAt, today, closeReason, actor, ct);
            changed = true;
        }
        if (closeReason is not null)
        {
            // A grade's colour follows from the playground's own trigger; a closure (a failed periodic inspection too) is the worst.
            await AssetState.RestyleAsync(conn, tx, assetId, ct);
        }
        if (changed)
        {
            await AssetState.AnnounceAsync(conn, tx, [assetId], ct);
        }
    }

    private static async Task CloseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid inspectionId, long assetId, DateTimeOffset at, DateOnly today,
        string reason, Actor actor, CancellationToken ct)
    {
        await using (var close = new NpgsqlCommand("UPDATE asset SET closed_at = $2, closed_reason = $3 WHERE id = $1 AND closed_at IS NULL", conn, tx)
        {
            Parameters = { new() { Value = assetId }, new() { Value = at }, new() { Value = reason } },
        })
        {
            await close.ExecuteNonQueryAsync(ct);
        }
        foreach (var (kind, due) in FollowUps(today))
        {
            await using var followUp = new NpgsqlCommand(
                "INSERT INTO follow_up (asset_id, inspection_id, kind, due_on) VALUES ($1, $2, $3, $4) ON CONFLICT (inspection_id, kind) DO NOTHING", conn, tx)
            {
                Parameters = { new() { Value = assetId }, new() { Value = inspectionId }, new() { Value = kind }, new() { Value = due } },
            };
            await followUp.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "asset.close", "asset", assetId.ToString(), new { reason, inspection = inspectionId }, ct);
    }

    /// <summary>One follow-up of a closure: due so many months, then days, after the day of the closure (Asia/Seoul).</summary>
    public sealed record ClosureStep(string Kind, int Months, int Days);

    /// <summary>The statute's follow-ups of a closure, in order; the inspector app counts the same dates from it on the spot.</summary>
    public static readonly IReadOnlyList<ClosureStep> ClosureRule =
    [
        new("notify_authority", 0, 0),   // without delay
        new("cpf_registration", 0, 7),
        new("safety_diagnosis", 1, 0),   // unless the facility is removed
        new("improvement_plan", 2, 0),
    ];

    /// <summary>The statute's follow-ups of a closure and their dates.</summary>
    public static IEnumerable<(string Kind, DateOnly Due)> FollowUps(DateOnly closedOn) =>
        ClosureRule.Select(step => (step.Kind, closedOn.AddMonths(step.Months).AddDays(step.Days)));
}
