using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Calendar;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Compliance;
using Paju.Field.Server.Inspections;

namespace Paju.Field.Server.Seeding;

/// <summary>
/// The sample's inspection history, so the demo's grades, findings, closures and overdue states come from inspections and
/// not from chance: six months of monthly checks for every sample playground (this month's campaign under way, a few
/// playgrounds behind), the latest check carrying the registry's grade (요주의 and 요수리 with open findings, two 이용금지
/// with their follow-ups), each playground's last passed 정기시설검사 (a few expired), and this half-year's SAPA check for most
/// public-use facilities. Every check is filed by a
/// disabled sample account, goes through the same parsing and effects as a phone's, and has a receipt numbered from 80000.
/// </summary>
public static class SampleHistory
{
    public const string Inspector = "sample.inspector";
    private const int ReceiptBase = 80000;

    internal sealed record Check(Guid Id, long AssetId, string Program, DateTimeOffset FinishedAt, InspectionSubmission Submission, string? Grade, bool Latest);

    public static async Task<int> WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Random random, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        var inspectorId = await SampleInspectorAsync(conn, tx, ct);
        // The sample registry stands for one the city has kept for years: it was there before its history began.
        await using (var since = new NpgsqlCommand("UPDATE asset SET created_at = $1 WHERE is_sample AND created_at > $1", conn, tx)
        {
            Parameters = { new() { Value = SeoulCalendar.StartOfDay(SeoulCalendar.MonthOf(now).AddMonths(-7)).ToUniversalTime() } },
        })
        {
            await since.ExecuteNonQueryAsync(ct);
        }
        var monthly = (await ProgramStore.VersionAsync(conn, tx, "playground-monthly", 1, ct))!;
        var sapa = (await ProgramStore.VersionAsync(conn, tx, "facility-semiannual", 1, ct))!;
        var periodic = (await ProgramStore.VersionAsync(conn, tx, "playground-periodic", 1, ct))!;
        var checks = new List<Check>();

        var playgrounds = await ReadAsync(conn, tx, """
            SELECT a.id, a.code, p.grade, NULL FROM asset a JOIN playground p ON p.asset_id = a.id WHERE a.is_sample ORDER BY a.code
            """, ct);
        var closures = 0;
        var thisMonth = SeoulCalendar.MonthOf(now);
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime);
        foreach (var (assetId, code, seededGrade, _) in playgrounds)
        {
            // The registry's grade is what the latest check found; only two playgrounds are closed in the sample.
            var latestGrade = seededGrade ?? "양호";
            if (latestGrade == "이용금지" && ++closures > 2)
            {
                latestGrade = "요수리";
            }
            var behind = random.NextDouble() < 0.04;                     // missed last month: overdue now
            var doneThisMonth = !behind && random.NextDouble() < 0.6;    // this month's campaign under way
            var months = Enumerable.Range(1, 6).Select(back => thisMonth.AddMonths(-back)).Where(m => !(behind && m == thisMonth.AddMonths(-1))).ToList();
            if (doneThisMonth)
            {
                months.Insert(0, thisMonth);
            }
            for (var i = 0; i < months.Count; i++)
            {
                var lastDay = months[i] == thisMonth ? today.Day : DateTime.DaysInMonth(months[i].Year, months[i].Month);
                var day = months[i].AddDays(random.Next(0, Math.Max(1, lastDay - 1)));
                var finished = SeoulCalendar.StartOfDay(day).AddHours(10 + random.Next(0, 6)).AddMinutes(random.Next(0, 60));
                if (finished > now)
                {
                    finished = now.AddHours(-1);
                }
                var grade = i == 0 ? latestGrade : random.NextDouble() < 0.9 ? "양호" : "요주의";
                checks.Add(MonthlyCheck(assetId, code, finished, grade, random, latest: i == 0));
            }
            // The last 정기시설검사, passed, spread over the two years it stays valid; a few playgrounds' validity has run out.
            var expired = random.NextDouble() < 0.02;
            var inspectedOn = today.AddDays(-(expired ? random.Next(735, 800) : random.Next(20, 715)));
            checks.Add(PeriodicCheck(assetId, code, inspectedOn));
        }

        var facilities = await ReadAsync(conn, tx, """
            SELECT a.id, a.code, NULL, f.facility_type FROM asset a JOIN public_facility f ON f.asset_id = a.id WHERE a.is_sample ORDER BY a.code
            """, ct);
        var halfStart = SeoulCalendar.HalfYearOf(now) is var h ? new DateOnly(h.Year, h.Half == 1 ? 1 : 7, 1) : default;
        foreach (var (assetId, code, _, facilityType) in facilities)
        {
            if (random.NextDouble() > 0.85)
            {
                continue;
            }
            var day = halfStart.AddDays(random.Next(0, Math.Max(1, today.DayNumber - halfStart.DayNumber)));
            var finished = SeoulCalendar.StartOfDay(day).AddHours(14);
            checks.Add(SapaCheck(assetId, code, finished, facilityType!, sapa.Definition, random.NextDouble() < 0.1));
        }

        await InsertAsync(conn, tx, checks, inspectorId, ct);
        // The latest check writes each playground's grade; checks below 양호 open findings, 이용금지 closes — as a phone's would.
        foreach (var check in checks.Where(c => c.Latest || c.Program == "facility-semiannual"))
        {
            if (check.Grade is "양호" or null && check.Program == "playground-monthly")
            {
                continue;
            }
            var program = check.Program switch { "facility-semiannual" => sapa, "playground-periodic" => periodic, _ => monthly };
            await ComplianceEffects.ApplyAsync(conn, tx, check.Id, check.AssetId, check.Submission, program, actor, ct);
        }
        await using (var grades = new NpgsqlCommand("""
            WITH latest AS (
                SELECT DISTINCT ON (asset_id) asset_id, grade, finished_at FROM inspection
                WHERE program = 'playground-monthly' AND asset_id IN (SELECT id FROM asset WHERE is_sample)
                ORDER BY asset_id, finished_at DESC)
            UPDATE playground p SET grade = l.grade, graded_at = l.finished_at FROM latest l WHERE p.asset_id = l.asset_id
            """, conn, tx))
        {
            await grades.ExecuteNonQueryAsync(ct);
        }
        await using (var assetGrades = new NpgsqlCommand(
            "UPDATE asset a SET grade = p.grade FROM playground p WHERE p.asset_id = a.id AND a.is_sample AND a.grade IS DISTINCT FROM p.grade", conn, tx))
        {
            await assetGrades.ExecuteNonQueryAsync(ct);
        }
        return checks.Count;
    }

    private static Check MonthlyCheck(long assetId, string code, DateTimeOffset finished, string grade, Random random, bool latest)
    {
        var items = new[] { "joints", "wear", "deformation", "cleanliness", "signs", "ancillary" };
        var answers = items.ToDictionary(i => i, _ => (object)"양호");
        if (grade != "양호")
        {
            answers[items[random.Next(items.Length)]] = grade;
        }
        var body = new Dictionary<string, object?>
        {
            ["program"] = "playground-monthly", ["programVersion"] = 1, ["subject"] = new { kind = "playground", code },
            ["answers"] = answers, ["grade"] = grade, ["notes"] = "[샘플] 점검 이력",
            ["startedAt"] = finished.AddMinutes(-25).ToString("o", CultureInfo.InvariantCulture), ["finishedAt"] = finished.ToString("o", CultureInfo.InvariantCulture),
        };
        return Build(assetId, "playground-monthly", finished, body, grade, latest);
    }

    private static Check PeriodicCheck(long assetId, string code, DateOnly inspectedOn)
    {
        var finished = SeoulCalendar.StartOfDay(inspectedOn).AddHours(11);
        var body = new Dictionary<string, object?>
        {
            ["program"] = "playground-periodic", ["programVersion"] = 1, ["subject"] = new { kind = "playground", code },
            ["answers"] = new Dictionary<string, object?>
            {
                ["result"] = "합격", ["inspected_on"] = inspectedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["body"] = "[샘플] 안전검사기관",
            },
            ["grade"] = "합격", ["notes"] = "[샘플] 정기시설검사",
            ["startedAt"] = finished.AddHours(-2).ToString("o", CultureInfo.InvariantCulture), ["finishedAt"] = finished.ToString("o", CultureInfo.InvariantCulture),
        };
        return Build(assetId, "playground-periodic", finished, body, "합격", latest: true);
    }

    private static Check SapaCheck(long assetId, string code, DateTimeOffset finished, string facilityType, ProgramDefinition definition, bool shortfall)
    {
        var answers = new Dictionary<string, object?>();
        foreach (var item in definition.Items.Where(i => i.Type == "yesno" && i.Required && i.AppliesToFacility(facilityType)))
        {
            answers[item.Id] = true;
        }
        if (shortfall)
        {
            answers["contractors"] = false;
        }
        var body = new Dictionary<string, object?>
        {
            ["program"] = "facility-semiannual", ["programVersion"] = 1, ["subject"] = new { kind = "public_facility", code },
            ["answers"] = answers, ["grade"] = shortfall ? "보완 필요" : "적정", ["notes"] = "[샘플] 반기 점검",
            ["startedAt"] = finished.AddHours(-1).ToString("o", CultureInfo.InvariantCulture), ["finishedAt"] = finished.ToString("o", CultureInfo.InvariantCulture),
        };
        return Build(assetId, "facility-semiannual", finished, body, shortfall ? "보완 필요" : "적정", latest: true);
    }

    /// <summary>Through the same parser a phone's submission goes through: the canonical JSON and its hash come from there.</summary>
    internal static Check Build(long assetId, string program, DateTimeOffset finished, Dictionary<string, object?> body, string grade, bool latest)
    {
        var (submission, problems) = InspectionSubmission.Parse(JsonSerializer.SerializeToUtf8Bytes(body), finished.AddMinutes(10));
        return submission is null
            ? throw new InvalidOperationException("The sample history made a submission the server refuses: " + string.Join(" ", problems))
            : new Check(Guid.NewGuid(), assetId, program, finished, submission, grade, latest);
    }

    internal static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<Check> checks, long inspectorId, CancellationToken ct,
        int receiptBase = ReceiptBase)
    {
        var receipts = checks
            .GroupBy(c => DateOnly.FromDateTime(SeoulCalendar.ToSeoul(c.FinishedAt).DateTime))
            .SelectMany(g => g.OrderBy(c => c.FinishedAt).Select((c, n) => (c.Id, Receipt: $"P-{g.Key:yyyyMMdd}-{receiptBase + n + 1}")))
            .ToDictionary(r => r.Id, r => r.Receipt);
        await using (var inspections = new NpgsqlCommand("""
            INSERT INTO inspection (id, receipt, received_at, program, program_version, asset_id, inspector_id, grade, finished_at)
            SELECT id, receipt, finished + interval '5 minutes', program, 1, asset, $7, grade, finished
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::bigint[], $6::text[]) AS c(id, receipt, finished, program, asset, grade)
            """, conn, tx))
        {
            inspections.Parameters.Add(new() { Value = checks.Select(c => c.Id).ToArray() });
            inspections.Parameters.Add(new() { Value = checks.Select(c => receipts[c.Id]).ToArray() });
            inspections.Parameters.Add(new() { Value = checks.Select(c => c.FinishedAt.ToUniversalTime()).ToArray() });
            inspections.Parameters.Add(new() { Value = checks.Select(c => c.Program).ToArray() });
            inspections.Parameters.Add(new() { Value = checks.Select(c => c.AssetId).ToArray() });
            inspections.Parameters.Add(new() { Value = checks.Select(c => c.Grade).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            inspections.Parameters.Add(new() { Value = inspectorId });
            await inspections.ExecuteNonQueryAsync(ct);
        }
        await using var versions = new NpgsqlCommand("""
            INSERT INTO inspection_version (inspection_id, version, content, sha256, created_at, created_by)
            SELECT id, 1, content, sha, at, $5 FROM unnest($1::uuid[], $2::jsonb[], $3::bytea[], $4::timestamptz[]) AS v(id, content, sha, at)
            """, conn, tx);
        versions.Parameters.Add(new() { Value = checks.Select(c => c.Id).ToArray() });
        versions.Parameters.Add(new() { Value = checks.Select(c => c.Submission.Canonical).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        versions.Parameters.Add(new() { Value = checks.Select(c => c.Submission.Sha256).ToArray() });
        versions.Parameters.Add(new() { Value = checks.Select(c => c.FinishedAt.AddMinutes(5).ToUniversalTime()).ToArray() });
        versions.Parameters.Add(new() { Value = inspectorId });
        await versions.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The account the sample checks are filed under: disabled, so nobody signs in as it.</summary>
    internal static async Task<long> SampleInspectorAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO app_user (username, display_name, role, password_hash, disabled_at)
            VALUES ($1, '[샘플] 점검원', 'inspector', $2, now())
            ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name
            RETURNING id
            """, conn, tx)
        {
            Parameters = { new() { Value = Inspector }, new() { Value = "disabled:" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) } },
        };
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<(long Id, string Code, string? Grade, string? FacilityType)>> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        var list = new List<(long, string, string?, string?)>();
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return list;
    }
}
