using System.Globalization;
using System.Text;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Events;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Events;

/// <summary>
/// The division's yearly figures (events, reviews by result, late plans, joint inspections, accidents; findings by item)
/// and a year's events as CSV for its own reports (UTF-8 with a BOM, so Excel opens the Korean right). Years are the
/// Seoul year an event starts in.
/// </summary>
public static class EventReports
{
    public sealed record YearFigures(int Year, long Events, long ReviewRequired, long Reviewed, long Adequate, long Conditional, long Supplement,
        long PlansLate, long JointInspections, long Findings, long FindingsConfirmed, long Accidents);

    public sealed record FindingCount(int Year, string Item, string Label, long Count, long Confirmed);

    public static void MapEventReports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events/report", ReportAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("연도별 행사 안전관리 실적 (?from=2023&to=2026): 행사, 심의 (결과별), 계획서 지연, 합동점검, 지적사항 (항목별), 사고");
        app.MapGet("/api/events/export", ExportAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("한 해의 행사 목록 CSV (?year=2024; UTF-8, BOM)");
    }

    public static async Task<List<YearFigures>> YearsAsync(NpgsqlConnection conn, int from, int to, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            WITH e AS (
                SELECT e.*, extract(year FROM e.starts_at AT TIME ZONE 'Asia/Seoul')::int AS year
                FROM event e JOIN asset a ON a.id = e.asset_id WHERE a.status = 'active'),
            f AS (
                SELECT e.year, count(f.id) AS findings, count(f.id) FILTER (WHERE f.state = 'confirmed') AS confirmed
                FROM e JOIN finding f ON f.asset_id = e.asset_id GROUP BY e.year)
            SELECT y.year, count(e.asset_id), count(*) FILTER (WHERE e.review_required), count(*) FILTER (WHERE e.reviewed_at IS NOT NULL),
                   count(*) FILTER (WHERE e.review_result = 'adequate'), count(*) FILTER (WHERE e.review_result = 'conditional'),
                   count(*) FILTER (WHERE e.review_result = 'supplement'), count(*) FILTER (WHERE e.plan_late),
                   count(*) FILTER (WHERE e.inspection_id IS NOT NULL), coalesce(max(f.findings), 0), coalesce(max(f.confirmed), 0),
                   coalesce(sum(e.accidents), 0)
            FROM generate_series($1::int, $2::int) AS y(year)
            LEFT JOIN e ON e.year = y.year
            LEFT JOIN f ON f.year = y.year
            GROUP BY y.year ORDER BY y.year
            """, conn) { Parameters = { new() { Value = from }, new() { Value = to } } };
        var list = new List<YearFigures>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new YearFigures(r.GetInt32(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
                r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11)));
        }
        return list;
    }

    public static async Task<List<FindingCount>> FindingsAsync(NpgsqlConnection conn, int from, int to, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT extract(year FROM e.starts_at AT TIME ZONE 'Asia/Seoul')::int AS year, f.item, f.label, count(*), count(*) FILTER (WHERE f.state = 'confirmed')
            FROM finding f JOIN event e ON e.asset_id = f.asset_id
            WHERE extract(year FROM e.starts_at AT TIME ZONE 'Asia/Seoul') BETWEEN $1 AND $2
            GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC, 2
            """, conn) { Parameters = { new() { Value = from }, new() { Value = to } } };
        var list = new List<FindingCount>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new FindingCount(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4)));
        }
        return list;
    }

    private static async Task<IResult> ReportAsync(NpgsqlDataSource db, TimeProvider clock, int? from, int? to, CancellationToken ct)
    {
        var thisYear = SeoulCalendar.ToSeoul(clock.GetUtcNow()).Year;
        var (first, last) = (from ?? thisYear - 3, to ?? thisYear);
        if (first < 2000 || last > 2100 || last < first || last - first > 30)
        {
            return Results.Problem("from 과 to 는 2000~2100 사이의 연도이고, from ≤ to, 30년 이내입니다.", title: "기간을 읽을 수 없습니다", statusCode: 400);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        return Results.Ok(new { years = await YearsAsync(conn, first, last, ct), findingsByItem = await FindingsAsync(conn, first, last, ct) });
    }

    private static async Task<IResult> ExportAsync(NpgsqlDataSource db, int? year, CancellationToken ct)
    {
        if (year is null or < 2000 or > 2100)
        {
            return Results.Problem("연도를 주세요: ?year=2024", title: "연도가 필요합니다", statusCode: 400);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT a.code, a.name, d.name, e.starts_at, e.ends_at, coalesce(a.address, ''), coalesce(z.name, ''), e.expected_attendance,
                   e.review_required, e.review_reason, e.plan_due_on, e.plan_received_at, e.plan_late, e.state, e.review_result,
                   e.inspection_id IS NOT NULL, (SELECT count(*) FROM finding f WHERE f.asset_id = e.asset_id),
                   (SELECT count(*) FROM finding f WHERE f.asset_id = e.asset_id AND f.state = 'confirmed'), e.accidents
            FROM event e JOIN asset a ON a.id = e.asset_id JOIN department d ON d.code = e.organiser_department
            LEFT JOIN admin_area z ON z.code = a.admin_area_code
            WHERE a.status = 'active' AND extract(year FROM e.starts_at AT TIME ZONE 'Asia/Seoul') = $1
            ORDER BY e.starts_at, a.code
            """, conn) { Parameters = { new() { Value = year.Value } } };
        var csv = new StringBuilder("행사 코드,행사 이름,주관 부서,시작 (서울),끝 (서울),장소,읍면동,예상 인원,심의 대상,판단 근거,계획서 기한,계획서 접수 (서울),지연,단계,심의 결과,합동점검,지적사항,보완 확인,사고\r\n");
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                csv.AppendJoin(',', Csv(r.GetString(0)), Csv(r.GetString(1)), Csv(r.GetString(2)), Seoul(r.GetFieldValue<DateTimeOffset>(3)),
                    Seoul(r.GetFieldValue<DateTimeOffset>(4)), Csv(r.GetString(5)), Csv(r.GetString(6)), r.GetInt32(7).ToString(CultureInfo.InvariantCulture),
                    r.GetBoolean(8) ? "예" : "아니오", Csv(r.GetString(9)), r.GetFieldValue<DateOnly>(10).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    r.IsDBNull(11) ? "" : Seoul(r.GetFieldValue<DateTimeOffset>(11)), r.IsDBNull(12) ? "" : r.GetBoolean(12) ? "예" : "아니오",
                    Csv(EventStates.KoreanName(r.GetString(13))), r.IsDBNull(14) ? "" : Csv(ReviewResults.KoreanName(r.GetString(14))),
                    r.GetBoolean(15) ? "예" : "아니오", r.GetInt64(16).ToString(CultureInfo.InvariantCulture), r.GetInt64(17).ToString(CultureInfo.InvariantCulture),
                    r.IsDBNull(18) ? "" : r.GetInt32(18).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            }
        }
        var bytes = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(csv.ToString())).ToArray();
        return Results.File(bytes, "text/csv; charset=utf-8", $"paju-events-{year}.csv");
    }

    private static string Seoul(DateTimeOffset at) => SeoulCalendar.ToSeoul(at).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Csv(string value) => Tags.SdmSheet.Csv(value);
}
