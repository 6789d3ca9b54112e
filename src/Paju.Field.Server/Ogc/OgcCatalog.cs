using Paju.Field.Assets;
using static Paju.Field.Server.Ogc.PropertyType;

namespace Paju.Field.Server.Ogc;

/// <summary>
/// Every collection the OGC API serves: one per asset kind and one for the 읍면동. Later issues
/// add theirs here. Property SQL refers to the asset as <c>a</c>, its kind row as <c>k</c> and its
/// parent as <c>p</c>.
/// </summary>
public static class OgcCatalog
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 1000;

    private static readonly OgcProperty[] AssetProperties =
    [
        new("code", "a.code", Text, "고유 코드", Queryable: true),
        new("name", "a.name", Text, "이름"),
        new("kind", "a.kind", Text, "자산 종류"),
        new("status", "a.status", Text, "상태 (active: 운영, retired: 폐지)", Queryable: true, Values: ["active", "retired"]),
        new("admin_area_code", "a.admin_area_code", Text, "읍면동 행정기관코드", Queryable: true),
        new("address", "a.address", Text, "주소"),
        new("parent_code", "p.code", Text, "상위 시설 코드", Queryable: true),
        new("is_sample", "a.is_sample", Bool, "샘플 데이터 여부", Queryable: true),
        new("updated_at", "a.updated_at", Timestamp, "최종 수정 시각"),
    ];

    public static readonly IReadOnlyList<OgcCollection> All =
    [
        Asset(AssetKinds.RiskDistrict, "risk_district", "자연재해위험개선지구", "Natural-disaster risk improvement districts (울곡 …)", "Polygon", false,
        [
            new("risk_type", "k.risk_type", Text, "위험 유형", Queryable: true),
            new("grade", "k.grade", Text, "등급", Queryable: true, Values: ["가", "나", "다", "라"]),
            new("designated_area_m2", "k.designated_area_m2", Number, "지정 면적 (m²)"),
            new("project_start", "k.project_start", Date, "사업 시작"),
            new("project_end", "k.project_end", Date, "사업 종료"),
            new("budget_mkrw", "k.budget_mkrw", Number, "사업비 (백만원)"),
        ], new OgcTemporal("k.project_start", "k.project_end", "사업 기간", IsDate: true)),
        Asset(AssetKinds.PumpStation, "pump_station", "배수펌프장", "Drainage pump stations — critical infrastructure, signed-in users only", "Point", true,
        [
            new("station_type", "k.station_type", Text, "유형 (main: 배수펌프장, simple: 간이배수펌프장)", Queryable: true, Values: ["main", "simple"]),
            new("pump_count", "k.pump_count", Integer, "펌프 대수"),
        ]),
        Asset(AssetKinds.Pump, "pump", "배수펌프", "Pumps of the drainage stations — signed-in users only", "Point", true,
        [
            new("pump_no", "k.pump_no", Integer, "호기"),
            new("pump_type", "k.pump_type", Text, "형식"),
            new("diameter_mm", "k.diameter_mm", Integer, "구경 (mm)", Queryable: true),
        ]),
        Asset(AssetKinds.RetentionBasin, "retention_basin", "유수지", "Retention basins", "Polygon", false,
            [new("capacity_m3", "k.capacity_m3", Number, "용량 (m³)")]),
        Asset(AssetKinds.StorageTank, "storage_tank", "저류조", "Storage tanks", "Polygon", false,
            [new("capacity_m3", "k.capacity_m3", Number, "용량 (m³)")]),
        Asset(AssetKinds.DrainageChannel, "drainage_channel", "배수로", "Drainage channels", "LineString", false,
        [
            new("channel_type", "k.channel_type", Text, "형식"),
            new("length_m", "k.length_m", Number, "연장 (m)"),
        ]),
        Asset(AssetKinds.CatchBasin, "catch_basin", "집수정", "Catch basins", "Point", false,
            [new("basin_no", "k.basin_no", Integer, "번호")]),
        Asset(AssetKinds.Embankment, "embankment", "축제·호안", "Embankments and revetments", "LineString", false,
        [
            new("stream_name", "k.stream_name", Text, "하천명", Queryable: true),
            new("length_m", "k.length_m", Number, "연장 (m)"),
            new("banks", "k.banks", Text, "양안/좌안/우안", Values: ["left", "right", "both"]),
        ]),
        Asset(AssetKinds.DrainageStructure, "drainage_structure", "배수구조물", "Drainage structures", "Point", false,
            [new("structure_type", "k.structure_type", Text, "형식", Queryable: true)]),
        Asset(AssetKinds.CableZone, "cable_zone", "공중케이블 정비구역", "Aerial-cable maintenance zones with their lifecycle", "Polygon", false,
        [
            new("zone_year", "k.zone_year", Integer, "사업 연도", Queryable: true),
            new("lifecycle", "k.lifecycle", Text, "진행 단계", Queryable: true, Values: ["applied", "pre_consulted", "selected", "in_works", "done"]),
            new("area_km2", "k.area_km2", Number, "면적 (km²)"),
            new("works_start", "k.works_start", Date, "정비 시작"),
            new("works_end", "k.works_end", Date, "정비 종료"),
            new("budget_mkrw", "k.budget_mkrw", Number, "사업비 (백만원)"),
            new("funding", "k.funding", Text, "재원"),
        ], new OgcTemporal(
            "coalesce(k.works_start, k.selected_on, k.applied_on)", "coalesce(k.works_end, k.completed_on)",
            "정비 기간 (없으면 선정·신청일부터 완료일까지)", IsDate: true)),
        Asset(AssetKinds.Playground, "playground", "어린이 놀이시설", "The city's children's playgrounds (national facility registry)", "Point", false,
        [
            new("facility_no", "k.facility_no", Text, "놀이시설 번호 (pfctSn)", Queryable: true),
            new("install_date", "k.install_date", Date, "설치일자"),
            new("install_place", "k.install_place", Text, "설치장소", Queryable: true),
            new("indoor", "k.indoor", Bool, "실내", Queryable: true),
            new("public_owned", "k.public_owned", Bool, "공공", Queryable: true),
            new("road_address", "k.road_address", Text, "도로명주소"),
            new("lot_address", "k.lot_address", Text, "지번주소"),
            new("grade", "k.grade", Text, "안전점검 등급", Queryable: true, Values: ["양호", "요주의", "요수리", "이용금지"]),
            new("graded_at", "k.graded_at", Timestamp, "등급 판정 시각"),
        ], new OgcTemporal("k.install_date", null, "설치일자", IsDate: true)),
        Asset(AssetKinds.PublicFacility, "public_facility", "공중이용시설", "Public-use facilities under the Serious Accidents Act", "Point", false,
        [
            new("facility_type", "k.facility_type", Text, "시설 유형", Queryable: true,
                Values: ["building", "bridge", "water_sewer", "retaining_wall_slope", "library", "tunnel_underpass"]),
            new("fms_no", "k.fms_no", Text, "FMS 시설물번호", Queryable: true),
            new("facility_class", "k.facility_class", Text, "종별", Queryable: true, Values: ["1종", "2종", "3종"]),
            new("safety_grade", "k.safety_grade", Text, "안전등급", Queryable: true, Values: ["A", "B", "C", "D", "E"]),
            new("completed_year", "k.completed_year", Integer, "준공 연도", Queryable: true),
            new("owning_department", "k.owning_department", Text, "관리 부서", Queryable: true),
        ]),
        // Festivals and events with their safety review: the control room's layer of upcoming and ongoing events.
        Asset(AssetKinds.Event, "event", "지역축제·행사", "Local festivals and events with their safety review (지역축제·행사 안전관리)", "Point", false,
        [
            new("starts_at", "k.starts_at", Timestamp, "시작"),
            new("ends_at", "k.ends_at", Timestamp, "끝"),
            new("expected_attendance", "k.expected_attendance", Integer, "예상 인원"),
            new("review_required", "k.review_required", Bool, "안전관리 심의 대상", Queryable: true),
            new("review_reason", "k.review_reason", Text, "심의 대상 판단 근거"),
            new("state", "k.state", Text, "심의 단계", Queryable: true,
                Values: ["registered", "plan_received", "reviewed", "inspected", "corrections_confirmed", "closed"]),
            new("review_result", "k.review_result", Text, "심의 결과 (adequate 적정, conditional 조건부 적정, supplement 보완)", Queryable: true),
            new("plan_due_on", "k.plan_due_on", Date, "안전관리계획서 제출 기한 (서울)"),
            new("plan_overdue", "(k.review_required AND k.state = 'registered' AND k.plan_due_on < (now() AT TIME ZONE 'Asia/Seoul')::date)", Bool,
                "계획서 제출 기한 지남"),
        ], new OgcTemporal("k.starts_at", "k.ends_at", "행사 기간", IsDate: false)),
        new OgcCollection(
            "admin_areas", "읍면동", "Paju's administrative areas (읍·면·동)", "MultiPolygon", Restricted: false,
            From: "admin_area a", Joins: [], Where: "true", IdSql: "a.id", GeometrySql: "a.geom",
            Properties:
            [
                new("code", "a.code", Text, "행정기관코드", Queryable: true),
                new("name", "a.name", Text, "이름", Queryable: true),
                new("full_name", "a.full_name", Text, "전체 이름"),
                new("area_type", "a.area_type", Text, "읍/면/동", Queryable: true, Values: ["eup", "myeon", "dong"]),
                new("updated_at", "a.updated_at", Timestamp, "최종 수정 시각"),
                new("attribution", "a.properties->>'attribution'", Text, "출처 표시 (지도에 함께 보일 저작권 문구)"),
            ]),
        new OgcCollection(
            "city_outline", "시 경계", "Paju's municipal boundary (파주시 경계)", "MultiPolygon", Restricted: false,
            From: "city_outline o", Joins: [], Where: "true", IdSql: "o.id", GeometrySql: "o.geom",
            Properties:
            [
                new("code", "o.code", Text, "행정기관코드", Queryable: true),
                new("name", "o.name", Text, "이름"),
                new("updated_at", "o.updated_at", Timestamp, "최종 수정 시각"),
                new("attribution", "o.properties->>'attribution'", Text, "출처 표시 (지도에 함께 보일 저작권 문구)"),
            ]),
        // What people did, for signed-in roles: read-only, filed through the inspection and check-in APIs.
        new OgcCollection(
            "inspections", "점검 기록", "Inspections filed (the statutory checklists), at the inspected asset — signed-in users only", "Point",
            Restricted: true, From: "inspection i",
            Joins: [new("s", "LEFT JOIN asset s ON s.id = i.asset_id"), new("u", "LEFT JOIN app_user u ON u.id = i.inspector_id"),
                    new("pv", "LEFT JOIN program_version pv ON pv.program = i.program AND pv.version = i.program_version")],
            Where: "true", IdSql: "i.feature_id", GeometrySql: "s.geom",
            Properties:
            [
                new("receipt", "i.receipt", Text, "접수번호", Queryable: true),
                new("program", "i.program", Text, "점검 프로그램 (playground-monthly, playground-periodic, facility-semiannual …)", Queryable: true),
                new("program_name", "pv.definition->>'name'", Text, "점검 이름"),
                new("program_version", "i.program_version", Integer, "프로그램 판"),
                new("asset_kind", "s.kind", Text, "시설 종류", Queryable: true),
                new("asset_code", "s.code", Text, "시설 코드", Queryable: true),
                new("asset_name", "s.name", Text, "시설 이름"),
                new("grade", "i.grade", Text, "종합 판정", Queryable: true),
                new("finished_at", "i.finished_at", Timestamp, "점검 완료 시각"),
                new("received_at", "i.received_at", Timestamp, "접수 시각"),
                new("inspector", "u.display_name", Text, "점검자"),
                new("version", "i.current_version", Integer, "수정 판 (1: 처음 제출)"),
                new("photos_expected", "i.photos_expected", Integer, "사진 수"),
                new("photos_received", "i.photos_received", Integer, "받은 사진 수"),
                new("checkin_id", "i.checkin_id", Integer, "근거 체크인 (checkins 컬렉션의 id)"),
                new("inspection_id", "i.id::text", Text, "점검 id (앱이 만든 UUID)"),
            ],
            Temporal: new OgcTemporal("i.finished_at", null, "점검 완료 시각", IsDate: false)),
        new OgcCollection(
            "checkins", "체크인", "Check-ins at tags (NFC, QR, the plate's URL, fixed readers), where the phone was — signed-in users only", "Point",
            Restricted: true, From: "checkin c",
            Joins: [new("s", "LEFT JOIN asset s ON s.id = c.asset_id"), new("u", "LEFT JOIN app_user u ON u.id = c.user_id"),
                    new("d", "LEFT JOIN device d ON d.id = c.device")],
            Where: "true", IdSql: "c.id", GeometrySql: "c.position",
            Properties:
            [
                new("method", "c.method", Text, "방법", Queryable: true, Values: ["nfc", "url", "qr", "nearby", "reader"]),
                new("status", "c.status", Text, "확인 결과", Queryable: true, Values: ["verified", "flagged", "refused"]),
                new("proof", "c.proof", Text, "증명", Queryable: true, Values: ["sun", "signature", "uid", "none", "bad_signature", "replayed", "unknown_tag"]),
                new("flags", "array_to_string(c.flags, ',')", Text, "확인 필요 사유 (쉼표로 구분)"),
                new("tag_id", "c.tag_id", Text, "표지 id", Queryable: true),
                new("asset_kind", "s.kind", Text, "시설 종류", Queryable: true),
                new("asset_code", "s.code", Text, "시설 코드", Queryable: true),
                new("asset_name", "s.name", Text, "시설 이름"),
                new("distance_m", "c.distance_m", Number, "시설까지 거리 (m, 서버 계산)"),
                new("accuracy_m", "c.accuracy_m", Number, "위치 정확도 (m)"),
                new("person", "u.display_name", Text, "체크인한 사람 (앱)"),
                new("device", "d.device_id", Text, "고정 리더 (MQTT)"),
                new("ts", "c.ts", Timestamp, "체크인 시각 (기기 시계)"),
                new("received_at", "c.received_at", Timestamp, "받은 시각"),
            ],
            Temporal: new OgcTemporal("c.ts", null, "체크인 시각", IsDate: false)),
        new OgcCollection(
            "reports", "시민 신고", "Citizens' hazard reports, at the reported position or the plate's asset; open ones unless ?status= asks — signed-in users only",
            "Point", Restricted: true, From: "report r",
            Joins: [new("s", "LEFT JOIN asset s ON s.id = r.asset_id")],
            Where: "true", IdSql: "r.id", GeometrySql: "coalesce(r.position, ST_PointOnSurface(s.geom))",
            Properties:
            [
                new("receipt", "r.receipt", Text, "접수번호", Queryable: true),
                new("status", "r.state", Text, "처리 상태 (received 접수, in_review 확인 중, resolved 조치 완료, rejected 반려)", Queryable: true,
                    Values: ["received", "in_review", "resolved", "rejected"]),
                new("urgent", "r.urgent", Bool, "긴급 (다친 사람 또는 중대사고 기준 해당)", Queryable: true),
                new("asset_kind", "s.kind", Text, "시설 종류", Queryable: true),
                new("asset_code", "s.code", Text, "시설 코드", Queryable: true),
                new("asset_name", "s.name", Text, "시설 이름"),
                new("description", "r.description", Text, "신고 내용"),
                new("seen_too", "r.seen_too", Integer, "함께 본 사람 수"),
                new("photos", "(SELECT count(*) FROM report_photo p WHERE p.report_id = r.id)", Integer, "사진 수"),
                new("received_at", "r.received_at", Timestamp, "접수 시각"),
                new("result_note", "r.result_note", Text, "공개 처리 결과"),
            ],
            Temporal: new OgcTemporal("r.received_at", null, "접수 시각", IsDate: false),
            DefaultFilter: "r.state IN ('received', 'in_review')"),
    ];

    public static OgcCollection? Find(string id) => All.FirstOrDefault(c => c.Id == id);

    private static OgcCollection Asset(
        string kind, string table, string title, string description, string geometryType, bool restricted,
        OgcProperty[] kindProperties, OgcTemporal? temporal = null) =>
        new(kind, title, description, geometryType, restricted,
            From: "asset a",
            Joins: [new("k", $"LEFT JOIN {table} k ON k.asset_id = a.id"), new("p", "LEFT JOIN asset p ON p.id = a.parent_id")],
            Where: $"a.kind = '{kind}'",
            IdSql: "a.id",
            GeometrySql: "a.geom",
            Properties: [.. AssetProperties, .. kindProperties],
            Temporal: temporal,
            // Retired assets stay in the registry but off the map unless asked for (?status=retired).
            DefaultFilter: "a.status = 'active'");
}
