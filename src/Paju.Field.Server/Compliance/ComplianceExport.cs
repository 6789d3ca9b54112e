using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Compliance;

/// <summary>
/// A period's results for the city's own reports and for CPF registration: <c>GET /api/compliance/export?month=2026-12</c>
/// (or <c>?half=2026-H2</c>) as CSV (UTF-8 with a BOM, so Excel opens the Korean right) or GeoJSON (<c>&amp;format=geojson</c>).
/// </summary>
public static class ComplianceExport
{
    private const string Query = """
        SELECT i.receipt, a.kind, a.code, a.name, coalesce(ar.name, ''), v.definition->>'name', coalesce(i.grade, ''), i.finished_at,
               u.display_name, i.photos_received, i.photos_expected, ST_Y(ST_PointOnSurface(a.geom)), ST_X(ST_PointOnSurface(a.geom)),
               a.closed_at IS NOT NULL
        FROM inspection i
        JOIN asset a ON a.id = i.asset_id
        JOIN program_version v ON v.program = i.program AND v.version = i.program_version
        JOIN app_user u ON u.id = i.inspector_id
        LEFT JOIN admin_area ar ON ar.code = a.admin_area_code
        WHERE i.finished_at >= $1 AND i.finished_at < $2
        ORDER BY i.finished_at, i.receipt
        """;

    public static void MapComplianceExport(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/compliance/export", ExportAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("기간의 점검 결과: CSV (UTF-8, BOM) 또는 GeoJSON (?month=2026-12 | ?half=2026-H2, &format=csv|geojson)");

    private static async Task<IResult> ExportAsync(NpgsqlDataSource db, string? month, string? half, string? format, CancellationToken ct)
    {
        DateOnly from, to;
        string label;
        if (month is not null && DateOnly.TryParseExact(month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var m))
        {
            (from, to, label) = (m, m.AddMonths(1), month);
        }
        else if (half is { Length: 7 } && int.TryParse(half[..4], out var year) && half[4..] is "-H1" or "-H2")
        {
            from = new DateOnly(year, half.EndsWith('1') ? 1 : 7, 1);
            (to, label) = (from.AddMonths(6), half);
        }
        else
        {
            return Results.Problem("기간을 주세요: ?month=2026-12 또는 ?half=2026-H2", title: "기간이 필요합니다", statusCode: 400);
        }
        await using var cmd = db.CreateCommand(Query);
        cmd.Parameters.Add(new() { Value = SeoulCalendar.StartOfDay(from).ToUniversalTime() });
        cmd.Parameters.Add(new() { Value = SeoulCalendar.StartOfDay(to).ToUniversalTime() });
        var rows = new List<object[]>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                rows.Add(values);
            }
        }
        if (format == "geojson")
        {
            var features = rows.Select(r => new
            {
                type = "Feature",
                geometry = new { type = "Point", coordinates = new[] { (double)r[12], (double)r[11] } },
                properties = new Dictionary<string, object>
                {
                    ["receipt"] = r[0], ["kind"] = r[1], ["code"] = r[2], ["name"] = r[3], ["area"] = r[4], ["program"] = r[5], ["grade"] = r[6],
                    ["finished_at"] = Seoul(At(r[7])), ["inspector"] = r[8], ["photos"] = $"{r[9]}/{r[10]}", ["closed"] = r[13],
                },
            });
            return Results.Text(JsonSerializer.Serialize(new { type = "FeatureCollection", features }, new JsonSerializerOptions
            {
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }), "application/geo+json; charset=utf-8");
        }
        var csv = new StringBuilder("접수번호,시설 종류,시설 코드,시설 이름,읍면동,점검,판정,점검 완료 (서울),점검자,사진,위도,경도,이용금지\r\n");
        foreach (var r in rows)
        {
            csv.AppendJoin(',', Csv(r[0]), Csv(Assets.AssetKinds.KoreanName((string)r[1])), Csv(r[2]), Csv(r[3]), Csv(r[4]), Csv(r[5]), Csv(r[6]),
                Csv(Seoul(At(r[7]))), Csv(r[8]), Csv($"{r[9]}/{r[10]}"), ((double)r[11]).ToString("0.000000", CultureInfo.InvariantCulture),
                ((double)r[12]).ToString("0.000000", CultureInfo.InvariantCulture), (bool)r[13] ? "예" : "아니오").Append("\r\n");
        }
        var bytes = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(csv.ToString())).ToArray();
        return Results.File(bytes, "text/csv; charset=utf-8", $"paju-inspections-{label}.csv");
    }

    // Npgsql hands timestamptz to GetValues as a UTC DateTime.
    private static DateTimeOffset At(object value) => value is DateTimeOffset at ? at : new DateTimeOffset(DateTime.SpecifyKind((DateTime)value, DateTimeKind.Utc));

    private static string Seoul(DateTimeOffset at) => SeoulCalendar.ToSeoul(at).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Csv(object value) => Tags.SdmSheet.Csv(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
}
