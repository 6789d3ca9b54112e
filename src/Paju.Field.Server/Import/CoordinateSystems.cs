using System.Globalization;

namespace Paju.Field.Server.Import;

/// <summary>A coordinate reference system the importer accepts. Everything is stored in EPSG:4326.</summary>
public sealed record CoordinateSystem(int Srid, string Name, bool Geographic, string Use)
{
    public override string ToString() => $"EPSG:{Srid} ({Name})";
}

/// <summary>
/// The CRSs Korean registries and city files come in (domain facts). PostGIS does the transforms
/// with its spatial_ref_sys definitions (PROJ), including 5174's Bessel datum shift.
/// </summary>
public static class CoordinateSystems
{
    public static readonly CoordinateSystem Wgs84 = new(4326, "WGS 84", true, "경위도: 공공데이터포털, GPS");
    public static readonly CoordinateSystem CentralBelt2010 = new(5186, "Korea 2000 / Central Belt 2010", false, "지자체 GIS 표준, 파주시 지적 (가짜 북거 600,000)");
    public static readonly CoordinateSystem UtmK = new(5179, "Korea 2000 / Unified CS (UTM-K)", false, "주소·통계 경계");
    public static readonly CoordinateSystem CentralBelt = new(5181, "Korea 2000 / Central Belt", false, "카카오·다음 지도 (가짜 북거 500,000)");
    public static readonly CoordinateSystem BesselCentral = new(5174, "Korean 1985 / Modified Central Belt", false, "옛 베셀 자료 (가짜 북거 500,000, 약 300 m 측지계 차이)");
    public static readonly CoordinateSystem WebMercator = new(3857, "WGS 84 / Pseudo-Mercator", false, "웹 지도 타일");

    public static readonly IReadOnlyList<CoordinateSystem> All = [Wgs84, CentralBelt2010, UtmK, CentralBelt, BesselCentral, WebMercator];

    public static IEnumerable<CoordinateSystem> Projected => All.Where(c => !c.Geographic);

    /// <summary>Reads "EPSG:5186", "epsg:5186" or "5186"; an unknown one is refused with the list of those accepted.</summary>
    public static CoordinateSystem Parse(string text)
    {
        var digits = text.Trim();
        if (digits.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[5..];
        }
        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var srid) && All.FirstOrDefault(c => c.Srid == srid) is { } crs)
        {
            return crs;
        }
        throw new ImportException($"좌표계 '{text}'는 지원하지 않습니다. 가능한 좌표계: {string.Join(", ", All.Select(c => $"EPSG:{c.Srid} {c.Use}"))}");
    }
}

/// <summary>An import that cannot go on, with a reason a person can act on.</summary>
public sealed class ImportException(string message) : Exception(message);
