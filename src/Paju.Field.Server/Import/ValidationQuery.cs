using System.Globalization;
using Paju.Field.Geography;

namespace Paju.Field.Server.Import;

/// <summary>How "inside Paju" is decided: the loaded 읍면동, else the loaded city outline, else the configured extent.</summary>
public enum InsideRule { AdminAreas, CityOutline, Extent }

/// <summary>
/// The one statement that validates every staged row at once in PostGIS: transform to 4326,
/// validity (repaired only when asked), the kind's geometry type, codes unique in the file,
/// inside Paju, and each point's 읍면동. The result is a temporary table of checked rows that the
/// writer reads; nothing in the registry has been touched yet.
/// </summary>
public static class ValidationQuery
{
    public const string Checked = "import_checked";

    public static string Build(ImportKind kind, int srid, InsideRule inside, bool repair, bool clipToCity)
    {
        string Transform(string g) => srid == 4326 ? g : $"import_try_transform({g})";
        var dimension = kind.IsPoint ? 0 : 2;
        // Polygons are stored with RFC 7946 ring order (exterior counter-clockwise), so exports are conformant and round-trip.
        var geomOut = kind.IsPoint ? "f.g1" : kind.Target == ImportTarget.Asset ? "ST_ForcePolygonCCW(f.g1)" : "ST_Multi(ST_ForcePolygonCCW(f.g1))";
        var areas = kind.Target == ImportTarget.Asset && inside == InsideRule.AdminAreas;
        var areaCode = areas ? "CASE WHEN ST_Dimension(f.g1) = 0 THEN pa.code ELSE admin_area_code_of(f.g1) END" : "NULL::text";
        var insideExpr = inside switch
        {
            InsideRule.AdminAreas when kind.Target == ImportTarget.Asset => $"({areaCode}) IS NOT NULL",
            InsideRule.AdminAreas or InsideRule.CityOutline when kind.Target != ImportTarget.CityOutline =>
                inside == InsideRule.AdminAreas
                    ? "EXISTS (SELECT 1 FROM admin_area_piece p WHERE ST_Intersects(p.geom, f.g1))"
                    : "EXISTS (SELECT 1 FROM city_outline_piece p WHERE ST_Intersects(p.geom, f.g1))",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"ST_Intersects(f.g1, ST_MakeEnvelope({PajuExtent.MinLon}, {PajuExtent.MinLat}, {PajuExtent.MaxLon}, {PajuExtent.MaxLat}, 4326))"),
        };
        var lateral = areas
            ? "LEFT JOIN LATERAL (SELECT p.code FROM admin_area_piece p WHERE ST_Dimension(f.g1) = 0 AND ST_Intersects(p.geom, f.g1) ORDER BY p.code LIMIT 1) pa ON true"
            : "";
        var repairHint = repair ? "" : " (--repair 로 고쳐 넣을 수 있습니다)";
        return $"""
            CREATE TEMP TABLE {Checked} ON COMMIT DROP AS
            WITH placed AS (
                SELECT s.*,
                    CASE WHEN s.x IS NOT NULL AND s.wkb IS NULL THEN {Transform($"ST_SetSRID(ST_MakePoint(s.x, s.y), {srid})")}
                         WHEN s.wkb IS NOT NULL THEN {Transform($"ST_SetSRID(ST_GeomFromWKB(s.wkb), {srid})")} END AS g0
                FROM {StagingTable.Name} s
            ), judged AS (
                SELECT p.*,
                    CASE WHEN p.g0 IS NULL OR ST_Dimension(p.g0) = 0 OR ST_IsValid(p.g0) THEN NULL ELSE ST_IsValidReason(p.g0) END AS invalid_reason,
                    count(*) OVER (PARTITION BY p.code) AS code_count,
                    min(p.n) OVER (PARTITION BY p.code) AS code_first
                FROM placed p
            ), fixed AS (
                SELECT j.*,
                    CASE WHEN j.invalid_reason IS NULL THEN j.g0
                         WHEN {(repair ? "true" : "false")} THEN NULLIF(ST_CollectionExtract(ST_MakeValid(j.g0), {dimension + 1}), ST_GeomFromText('GEOMETRYCOLLECTION EMPTY', 4326))
                    END AS g1
                FROM judged j
            ), located AS (
                SELECT f.n, f.code, f.name, f.address, f.detail, f.props, f.x, f.y,
                    f.problem, f.problem_field, f.problem_value, f.invalid_reason, f.code_count, f.code_first,
                    (f.x IS NOT NULL OR f.wkb IS NOT NULL) AND f.g0 IS NULL AS transform_failed,
                    {geomOut} AS geom,
                    {areaCode} AS area_code,
                    f.g1 IS NOT NULL AND {insideExpr} AS inside,
                    f.g1 IS NOT NULL AND replace(GeometryType(f.g1), 'MULTI', '') = '{kind.GeometryType}' AS type_ok,
                    f.invalid_reason IS NOT NULL AND f.g1 IS NOT NULL AS repaired,
                    GeometryType(f.g1) AS geometry_type
                FROM fixed f {lateral}
            ), judged_rows AS (
                SELECT l.*,
                    ({(clipToCity ? "true" : "false")} AND l.geom IS NOT NULL AND l.type_ok AND NOT l.inside) AS filtered,
                    CASE
                        WHEN l.problem IS NOT NULL THEN l.problem
                        WHEN l.transform_failed THEN 'EPSG:{srid}에서 경위도로 바꿀 수 없는 좌표입니다 (좌표계 범위 밖): --crs 를 확인하십시오'
                        WHEN l.invalid_reason IS NOT NULL AND l.geom IS NULL THEN 'geometry가 유효하지 않습니다: ' || l.invalid_reason || '{repairHint}'
                        WHEN NOT l.type_ok THEN '{kind.Label}은(는) {kind.GeometryType} 이어야 합니다: ' || l.geometry_type || '가 왔습니다'
                        WHEN l.code_count > 1 THEN '코드 ' || l.code || '가 파일에 ' || l.code_count || '번 나옵니다 (처음은 ' || l.code_first || '번째 행): 코드는 파일 안에서 하나여야 합니다'
                        WHEN NOT l.inside THEN 'outside'
                    END AS reason,
                    CASE
                        WHEN l.problem IS NOT NULL THEN l.problem_field
                        WHEN l.code_count > 1 AND l.type_ok AND l.geom IS NOT NULL THEN '{kind.Code.Key}'
                        ELSE 'geometry'
                    END AS field
                FROM located l
            )
            SELECT r.*, r.reason IS NULL AND NOT r.filtered AS ok FROM judged_rows r
            """;
    }
}
