namespace Paju.Field.Server.Import;

public enum ImportTarget { Asset, AdminArea, CityOutline }

/// <summary>A field of a registry: the name exports write, and every name files are known to use for it.</summary>
public sealed record FieldSpec(string Key, params string[] Aliases)
{
    public IEnumerable<string> Names => Aliases.Prepend(Key);
}

/// <summary>
/// A typed column the kind fills from a field: normalised in C# (so a bad value is a row problem,
/// not a failed statement), cast in SQL, and written back in the form the importer reads again.
/// </summary>
public sealed record DetailSpec(string Column, string SqlType, FieldSpec? Field, Func<string, string>? Normalize = null,
    Func<string, string>? Export = null, bool Required = false, string? SqlValue = null);

/// <summary>
/// What one <c>--kind</c> imports: where it goes, which fields name its code, name, address and
/// coordinates (the national registry's own names first), and its typed columns.
/// </summary>
public sealed class ImportKind
{
    public required string Name { get; init; }

    public required string Label { get; init; }

    public required ImportTarget Target { get; init; }

    /// <summary>asset.kind for asset targets.</summary>
    public string? AssetKind { get; init; }

    /// <summary>The per-kind table of an asset; null when the typed columns live in the target table itself.</summary>
    public string? DetailTable { get; init; }

    /// <summary>POINT or POLYGON (its multi-part form accepted).</summary>
    public required string GeometryType { get; init; }

    public required FieldSpec Code { get; init; }

    public required FieldSpec NameField { get; init; }

    public FieldSpec? Address { get; init; }

    /// <summary>Detail columns whose first non-empty value is the asset's address, when the kind has no address field of its own.</summary>
    public string[] AddressFromDetails { get; init; } = [];

    public FieldSpec Lon { get; init; } = GenericLon;

    public FieldSpec Lat { get; init; } = GenericLat;

    public FieldSpec Wkt { get; init; } = new("wkt", "WKT", "geometry", "geom", "the_geom");

    public IReadOnlyList<DetailSpec> Details { get; init; } = [];

    /// <summary>The typed columns a file carries as fields (not those derived, like a copy of the code), in export order.</summary>
    public IReadOnlyList<DetailSpec> FileDetails => [.. Details.Where(d => d.Field is not null)];

    public string TargetTable => Target switch
    {
        ImportTarget.Asset => "asset",
        ImportTarget.AdminArea => "admin_area",
        _ => "city_outline",
    };

    public bool IsPoint => GeometryType == "POINT";

    private static readonly FieldSpec GenericLon = new("lon", "longitude", "경도", "x", "X", "gisX", "REFINE_WGS84_LOGT", "lng");
    private static readonly FieldSpec GenericLat = new("lat", "latitude", "위도", "y", "Y", "gisY", "REFINE_WGS84_LAT");

    private static readonly Dictionary<string, string> FacilityTypes = new()
    {
        ["건축물"] = "building", ["교량"] = "bridge", ["상하수도"] = "water_sewer", ["옹벽·절토사면"] = "retaining_wall_slope",
        ["옹벽"] = "retaining_wall_slope", ["절토사면"] = "retaining_wall_slope", ["옹벽 및 절토사면"] = "retaining_wall_slope",
        ["도서관"] = "library", ["터널·지하차도"] = "tunnel_underpass", ["터널"] = "tunnel_underpass", ["지하차도"] = "tunnel_underpass",
    };

    private static readonly Dictionary<string, string> FacilityTypeNames = new()
    {
        ["building"] = "건축물", ["bridge"] = "교량", ["water_sewer"] = "상하수도", ["retaining_wall_slope"] = "옹벽·절토사면",
        ["library"] = "도서관", ["tunnel_underpass"] = "터널·지하차도",
    };

    private static readonly Dictionary<string, string> AreaTypes = new() { ["읍"] = "eup", ["면"] = "myeon", ["동"] = "dong" };

    /// <summary>The national playground registry (행정안전부 전국어린이놀이시설정보, data.go.kr 15124519).</summary>
    public static readonly ImportKind Playground = new()
    {
        Name = "playground",
        Label = "어린이 놀이시설",
        Target = ImportTarget.Asset,
        AssetKind = "playground",
        DetailTable = "playground",
        GeometryType = "POINT",
        Code = new("pfctSn", "code", "놀이시설일련번호", "일련번호", "facility_no"),
        NameField = new("pfctNm", "name", "놀이시설명", "시설명"),
        AddressFromDetails = ["road_address", "lot_address"],
        Lon = new("lotCrtsVl", GenericLon.Names.ToArray()),
        Lat = new("latCrtsVl", GenericLat.Names.ToArray()),
        Details =
        [
            new("facility_no", "text", null, SqlValue: "c.code"),
            new("install_date", "date", new("instlYmd", "설치일자", "install_date"), FieldValues.Date),
            new("install_place", "text", new("instlPlaceCdNm", "설치장소", "install_place")),
            new("indoor", "boolean", new("idrodrCdNm", "실내외구분", "indoor"), FieldValues.Boolean("실내", "실외"), FieldValues.BooleanExport("실내", "실외")),
            new("public_owned", "boolean", new("prvtPblcYnCdNm", "민간공공구분", "public_owned"), FieldValues.Boolean("공공", "민간"), FieldValues.BooleanExport("공공", "민간")),
            new("road_address", "text", new("ronaAddr", "도로명주소", "road_address")),
            new("lot_address", "text", new("lotnoAddr", "지번주소", "lot_address")),
        ],
    };

    /// <summary>공중이용시설, FMS (국토안전관리원 공공시설물 안전관리 정보, data.go.kr 15046035) field names.</summary>
    public static readonly ImportKind PublicFacility = new()
    {
        Name = "public-facility",
        Label = "공중이용시설",
        Target = ImportTarget.Asset,
        AssetKind = "public_facility",
        DetailTable = "public_facility",
        GeometryType = "POINT",
        Code = new("facilNo", "시설물번호", "fms_no", "code"),
        NameField = new("facilNm", "시설물명", "name"),
        Address = new("facilAddr", "주소", "address"),
        Lon = new("gisX", GenericLon.Names.ToArray()),
        Lat = new("gisY", GenericLat.Names.ToArray()),
        Details =
        [
            new("facility_type", "text", new("facilGbn", "시설물구분", "facility_type"), FieldValues.OneOf(FacilityTypes, "시설물구분"),
                code => FacilityTypeNames[code], Required: true),
            new("fms_no", "text", null, SqlValue: "c.code"),
            new("facility_class", "text", new("facilClass", "종별", "facility_class"), FieldValues.FacilityClass),
            new("safety_grade", "text", new("sfGrade", "안전등급", "safety_grade"), FieldValues.SafetyGrade),
            new("completed_year", "integer", new("cplYmd", "준공일자", "준공연도", "completed_year"), FieldValues.Year),
            new("owning_department", "text", new("mngDept", "관리부서", "owning_department")),
        ],
    };

    /// <summary>읍면동 boundaries (행정동): vuski/SGIS, 도로명주소 구역의 도형 TL_SCCO_GEMD field names.</summary>
    public static readonly ImportKind AdminArea = new()
    {
        Name = "admin-area",
        Label = "읍면동",
        Target = ImportTarget.AdminArea,
        GeometryType = "POLYGON",
        Code = new("code", "adm_cd2", "EMD_CD", "행정기관코드", "adm_cd"),
        NameField = new("name", "EMD_KOR_NM", "adm_nm", "읍면동명"),
        Details =
        [
            new("full_name", "text", new("full_name", "전체이름")),
            new("area_type", "text", new("type", "area_type", "구분"), FieldValues.OneOf(AreaTypes, "읍면동 구분")),
        ],
    };

    /// <summary>The city's outline, the "inside Paju" extent before 읍면동 are loaded.</summary>
    public static readonly ImportKind CityOutline = new()
    {
        Name = "city-outline",
        Label = "시 경계",
        Target = ImportTarget.CityOutline,
        GeometryType = "POLYGON",
        Code = new("code", "sgg_code", "SIG_CD"),
        NameField = new("name", "SIG_KOR_NM", "sgg_name"),
    };

    public static readonly IReadOnlyList<ImportKind> All = [Playground, PublicFacility, AdminArea, CityOutline];

    public static ImportKind Parse(string name) =>
        All.FirstOrDefault(k => k.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || k.Name.Replace('-', '_').Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ImportException($"종류 '{name}'는 가져올 수 없습니다: {string.Join(", ", All.Select(k => $"{k.Name} ({k.Label})"))}");

    /// <summary>읍/면/동 from the last syllable of a name, for files that do not say.</summary>
    public static string? AreaTypeFromName(string? name) => name is { Length: > 0 } && AreaTypes.TryGetValue(name[^1..], out var type) ? type : null;
}
