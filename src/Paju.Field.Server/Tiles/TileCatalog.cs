using Paju.Field.Assets;

namespace Paju.Field.Server.Tiles;

/// <summary>
/// A field a tile layer carries for styling, with its SQL (asset <c>a</c>, kind row <c>k</c>) and TileJSON type,
/// from <paramref name="MinZoom"/> on: what a map styles by (code, kind, severity, grade) at every zoom, labels and
/// details (names, addresses) only from z16, where they can be read — a dense z14 tile stays well under 500 KB.
/// </summary>
public sealed record TileField(string Name, string Sql, string Type, string Description, int MinZoom = 0);

/// <summary>
/// A layer of asset kind: points become clusters below <see cref="TileCatalog.RawMinZoom"/>; lines and
/// polygons are drawn as they are at every zoom (there are few of them). The pump stations and pumps are never
/// clustered: the wall map at z10–12 colours each one by its live state (feature-state on its code).
/// </summary>
public sealed record TileLayer(string Kind, string KindTable, string Title, bool IsPoint, bool Restricted, IReadOnlyList<TileField> Fields)
{
    public bool Clustered => IsPoint && Kind is not (AssetKinds.PumpStation or AssetKinds.Pump);
}

/// <summary>A tileset: one layer per kind, or "all" with every public layer.</summary>
public sealed record Tileset(string Id, string Title, IReadOnlyList<TileLayer> Layers)
{
    public bool Restricted => Layers.Any(l => l.Restricted);
}

public static class TileCatalog
{
    public const int MaxZoom = 22;
    public const int TileJsonMaxZoom = 16;
    /// <summary>Below this zoom points are served as clusters (16×16 cells a tile, counts and worst severity); from it, single points (see <see cref="DenseTileFeatures"/>).</summary>
    public const int RawMinZoom = 14;
    public const int Extent = 4096;
    public const int Buffer = 64;
    public const int CellsPerTile = 16;

    /// <summary>
    /// At <see cref="RawMinZoom"/> a tile holding more points of one kind than this is drawn as clusters like the zooms
    /// below: 3,000 dots in two kilometres say less than their clusters, and take longer to encode than a map should wait.
    /// </summary>
    public const int DenseTileFeatures = 3000;

    /// <summary>Names and details ride along from this zoom: where labels can be read.</summary>
    public const int DetailMinZoom = 16;

    private static readonly TileField[] Common =
    [
        new("code", "a.code", "String", "고유 코드"),
        new("name", "a.name", "String", "이름", DetailMinZoom),
        new("kind", "a.kind", "String", "자산 종류"),
        new("status", "a.status", "String", "active / retired", DetailMinZoom),
        new("severity", "a.severity", "Number", "0 양호 · 1 주의 · 2 수리 필요 · 3 이용금지/위험"),
        new("count", "1", "Number", "묶인 시설 수 (낱개는 1)"),
        new("closed", "a.closed_at IS NOT NULL", "Boolean", "이용금지 (점검에서 이용을 막음)"),
        new("overdue", "a.overdue", "Boolean", "법정 점검 기한이 지남"),
    ];

    public static readonly IReadOnlyList<TileLayer> Layers =
    [
        Layer(AssetKinds.RiskDistrict, "risk_district", "자연재해위험개선지구", false, false, new TileField("grade", "k.grade", "String", "등급")),
        Layer(AssetKinds.PumpStation, "pump_station", "배수펌프장", true, true, new TileField("station_type", "k.station_type", "String", "main / simple")),
        Layer(AssetKinds.Pump, "pump", "배수펌프", true, true, new TileField("pump_no", "k.pump_no", "Number", "호기", DetailMinZoom)),
        Layer(AssetKinds.RetentionBasin, "retention_basin", "유수지", false, false, new TileField("capacity_m3", "k.capacity_m3", "Number", "용량 (m³)", DetailMinZoom)),
        Layer(AssetKinds.StorageTank, "storage_tank", "저류조", false, false, new TileField("capacity_m3", "k.capacity_m3", "Number", "용량 (m³)", DetailMinZoom)),
        Layer(AssetKinds.DrainageChannel, "drainage_channel", "배수로", false, false),
        Layer(AssetKinds.CatchBasin, "catch_basin", "집수정", true, false),
        Layer(AssetKinds.Embankment, "embankment", "축제·호안", false, false),
        Layer(AssetKinds.DrainageStructure, "drainage_structure", "배수구조물", true, false),
        Layer(AssetKinds.CableZone, "cable_zone", "공중케이블 정비구역", false, false,
            new("lifecycle", "k.lifecycle", "String", "진행 단계"), new TileField("zone_year", "k.zone_year", "Number", "사업 연도", DetailMinZoom)),
        Layer(AssetKinds.Playground, "playground", "어린이 놀이시설", true, false,
            new("grade", "k.grade", "String", "안전점검 등급"), new TileField("install_place", "k.install_place", "String", "설치장소", DetailMinZoom)),
        Layer(AssetKinds.PublicFacility, "public_facility", "공중이용시설", true, false,
            new("facility_type", "k.facility_type", "String", "시설 유형"), new TileField("safety_grade", "k.safety_grade", "String", "안전등급")),
    ];

    public static readonly IReadOnlyList<Tileset> Tilesets =
    [
        new("all", "파주 현장안전 시설물 (공개 레이어 전체)", [.. Layers.Where(l => !l.Restricted)]),
        .. Layers.Select(l => new Tileset(l.Kind, l.Title, [l])),
    ];

    public static Tileset? Find(string id) => Tilesets.FirstOrDefault(t => t.Id == id);

    private static TileLayer Layer(string kind, string table, string title, bool isPoint, bool restricted, params TileField[] fields) =>
        new(kind, table, title, isPoint, restricted, [.. Common, .. fields]);
}
