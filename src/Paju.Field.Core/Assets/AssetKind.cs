namespace Paju.Field.Assets;

/// <summary>
/// Every kind of spatial asset the registry holds. The names are the database values
/// (<c>asset.kind</c>) and the OGC collection ids, so they never change once shipped.
/// </summary>
public static class AssetKinds
{
    public const string RiskDistrict = "risk_district";           // 자연재해위험개선지구
    public const string PumpStation = "pump_station";             // 배수펌프장
    public const string Pump = "pump";                             // 펌프
    public const string RetentionBasin = "retention_basin";       // 유수지
    public const string StorageTank = "storage_tank";             // 저류조
    public const string DrainageChannel = "drainage_channel";     // 배수로 (U형 개거)
    public const string CatchBasin = "catch_basin";               // 집수정
    public const string Embankment = "embankment";                // 축제·호안
    public const string DrainageStructure = "drainage_structure"; // 배수구조물
    public const string CableZone = "cable_zone";                 // 공중케이블 정비구역
    public const string Playground = "playground";                // 어린이 놀이시설
    public const string PublicFacility = "public_facility";       // 공중이용시설
    public const string Event = "event";                           // 지역축제·행사 (a subject of the safety review and its joint inspection)

    public static readonly IReadOnlyList<string> All =
    [
        RiskDistrict, PumpStation, Pump, RetentionBasin, StorageTank, DrainageChannel,
        CatchBasin, Embankment, DrainageStructure, CableZone, Playground, PublicFacility, Event,
    ];

    /// <summary>The kind as the city's staff and citizens call it (the same names as the asset_kind table).</summary>
    public static string KoreanName(string kind) => kind switch
    {
        RiskDistrict => "자연재해위험개선지구",
        PumpStation => "배수펌프장",
        Pump => "배수펌프",
        RetentionBasin => "유수지",
        StorageTank => "저류조",
        DrainageChannel => "배수로",
        CatchBasin => "집수정",
        Embankment => "축제·호안",
        DrainageStructure => "배수구조물",
        CableZone => "공중케이블 정비구역",
        Playground => "어린이 놀이시설",
        PublicFacility => "공중이용시설",
        Event => "지역축제·행사",
        _ => kind,
    };
}

/// <summary>The six types of 공중이용시설 under the Serious Accidents Act, as the city counts them.</summary>
public static class PublicFacilityTypes
{
    public const string Building = "building";                        // 건축물
    public const string Bridge = "bridge";                            // 교량
    public const string WaterSewer = "water_sewer";                   // 상·하수도
    public const string RetainingWallSlope = "retaining_wall_slope";  // 옹벽·사면
    public const string Library = "library";                          // 도서관
    public const string TunnelUnderpass = "tunnel_underpass";         // 터널·지하차도

    public static readonly IReadOnlyDictionary<string, string> KoreanNames = new Dictionary<string, string>
    {
        [Building] = "건축물",
        [Bridge] = "교량",
        [WaterSewer] = "상·하수도",
        [RetainingWallSlope] = "옹벽·사면",
        [Library] = "도서관",
        [TunnelUnderpass] = "터널·지하차도",
    };
}

/// <summary>Lifecycle of an aerial-cable maintenance zone (공중케이블 정비구역).</summary>
public static class CableZoneLifecycle
{
    public const string Applied = "applied";             // 신청
    public const string PreConsulted = "pre_consulted";  // 사업자 사전협의
    public const string Selected = "selected";           // 선정
    public const string InWorks = "in_works";            // 정비 중
    public const string Done = "done";                   // 완료
}
