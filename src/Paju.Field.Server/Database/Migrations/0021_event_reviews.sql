-- Festival and event safety reviews (지역축제·행사 안전관리): which events need one (the ordinance's rule, kept as versioned
-- data), the plan due 21 Seoul days before the start, the committee's opinions and result, the joint on-site inspection
-- through the inspection engine (an event is a subject like an asset: kind 'event'), findings to their confirmation, the end.

INSERT INTO asset_kind (kind, name_ko, name_en, geometry_type, sort_order) VALUES
    ('event', '지역축제·행사', 'Local festival or public event', 'POINT', 130);

-- Organising departments beside the division that runs the reviews.
INSERT INTO department (code, name) VALUES
    ('culture', '문화예술과'),
    ('tourism', '관광과'),
    ('sports', '체육과')
ON CONFLICT DO NOTHING;

-- The rule as data: an edit of the ordinance is a new version; an event keeps the version it was judged by.
CREATE TABLE event_rule_version (
    version     integer PRIMARY KEY CHECK (version > 0),
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    note        text
);
INSERT INTO event_rule_version (version, created_by, note, definition) VALUES (1, 'system:migration', '지역축제 안전관리 기준 (domain)', $json$
{
  "attendanceThreshold": 500,
  "exemptionsApplyBelow": 1000,
  "exemptions": [
    {"fact": "simple_ceremony", "is": true, "label": "단순 의식 행사"},
    {"fact": "indoor", "is": true, "label": "실내 행사"},
    {"fact": "temporary_structures", "is": false, "label": "임시 구조물 없음"}
  ],
  "alwaysRequired": [
    {"fact": "on_mountain", "is": true, "label": "산에서 열림"},
    {"fact": "on_water", "is": true, "label": "수상에서 열림"},
    {"fact": "fire", "is": true, "label": "불 사용"},
    {"fact": "fireworks", "is": true, "label": "불꽃(폭죽) 사용"},
    {"fact": "gas", "is": true, "label": "가스 사용"}
  ],
  "planDueDaysBefore": 21,
  "remindDaysBeforeDue": [14, 7, 3, 1, 0]
}
$json$::jsonb);

CREATE TABLE event (
    asset_id              bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    organiser_department  text NOT NULL REFERENCES department (code),
    starts_at             timestamptz NOT NULL,
    ends_at               timestamptz NOT NULL,
    venue                 geometry(Geometry, 4326) NOT NULL
                          CHECK (GeometryType(venue) IN ('POINT', 'POLYGON', 'MULTIPOLYGON') AND ST_IsValid(venue)),
    expected_attendance   integer NOT NULL CHECK (expected_attendance >= 0),
    simple_ceremony       boolean NOT NULL DEFAULT false,
    indoor                boolean NOT NULL DEFAULT false,
    temporary_structures  boolean NOT NULL DEFAULT false,
    on_mountain           boolean NOT NULL DEFAULT false,
    on_water              boolean NOT NULL DEFAULT false,
    fire                  boolean NOT NULL DEFAULT false,
    fireworks             boolean NOT NULL DEFAULT false,
    gas                   boolean NOT NULL DEFAULT false,
    review_required       boolean NOT NULL,
    review_reason         text NOT NULL,
    rule_version          integer NOT NULL REFERENCES event_rule_version (version),
    plan_due_on           date NOT NULL,              -- Asia/Seoul
    state                 text NOT NULL DEFAULT 'registered'
                          CHECK (state IN ('registered', 'plan_received', 'reviewed', 'inspected', 'corrections_confirmed', 'closed')),
    plan_round            integer NOT NULL DEFAULT 0,  -- how many times a plan came in (a 보완 sends it back)
    plan_received_at      timestamptz,
    plan_late             boolean,
    review_result         text CHECK (review_result IN ('adequate', 'conditional', 'supplement')),
    review_note           text,
    reviewed_at           timestamptz,
    inspection_id         uuid REFERENCES inspection (id),
    closed_at             timestamptz,
    accidents             integer CHECK (accidents >= 0),
    CHECK (ends_at > starts_at),
    CHECK ((plan_received_at IS NULL) = (plan_late IS NULL)),
    CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX event_starts_idx ON event (starts_at);
CREATE INDEX event_open_plan_idx ON event (plan_due_on) WHERE review_required AND state = 'registered';

-- Committee members' opinions (with fire and police among them), one per member per plan submission.
CREATE TABLE event_opinion (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id        bigint NOT NULL REFERENCES event (asset_id) ON DELETE CASCADE,
    round           integer NOT NULL,          -- the plan submission it is about (a 보완 brings a new round)
    member_id       bigint NOT NULL REFERENCES app_user (id),
    organisation    text NOT NULL CHECK (organisation IN ('fire', 'police', 'city', 'expert')),
    recommendation  text NOT NULL CHECK (recommendation IN ('adequate', 'conditional', 'supplement')),
    opinion         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (asset_id, round, member_id)
);

-- Every step as it happened (the audit log has them too, with the actor's address).
CREATE TABLE event_step (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id    bigint NOT NULL REFERENCES event (asset_id) ON DELETE CASCADE,
    action      text NOT NULL,
    from_state  text,
    to_state    text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    by_user     bigint REFERENCES app_user (id),
    by_name     text NOT NULL,
    note        text
);
CREATE INDEX event_step_asset_idx ON event_step (asset_id, at);

-- The joint on-site inspection: the engine's program with the event as its subject.
INSERT INTO program (code, department, subject_kind) VALUES ('event-joint', 'safety', 'event');
INSERT INTO program_version (program, version, created_by, definition) VALUES
('event-joint', 1, 'system:migration', $json$
{
  "name": "지역축제·행사 현장 합동점검",
  "statute": "재난 및 안전관리 기본법 §66의11, 파주시 지역축제 안전관리 조례 (안전관리계획 이행 확인)",
  "cadence": "once",
  "performer": "안전총괄과 · 소방 · 경찰 · 주관 부서",
  "items": [
    {"id": "plan_followed", "label": "안전관리계획서대로 설치·배치", "type": "yesno", "required": true},
    {"id": "exits", "label": "비상 대피로·출입구 확보", "type": "yesno", "required": true},
    {"id": "structures", "label": "무대·천막 등 임시 구조물 고정·하중", "type": "yesno", "required": true},
    {"id": "electric_gas", "label": "전기·가스 설비 안전 (누전차단기, 가스 누설)", "type": "yesno", "required": true},
    {"id": "fire_equipment", "label": "소화기 등 소방 장비 배치", "type": "yesno", "required": true},
    {"id": "safety_staff", "label": "안전관리요원 배치 (인원·위치)", "type": "yesno", "required": true},
    {"id": "medical", "label": "응급의료 (구급차, 응급처치소)", "type": "yesno", "required": true},
    {"id": "crowd", "label": "인파 관리 (밀집도, 동선, 통제선)", "type": "yesno", "required": true},
    {"id": "notes", "label": "특이사항", "type": "text", "required": false},
    {"id": "site_photo", "label": "현장 사진", "type": "photo", "required": false}
  ],
  "overall": {
    "required": true,
    "values": [
      {"value": "적정", "meaning": "계획대로 준비되어 행사를 열 수 있음"},
      {"value": "보완 필요", "meaning": "지적사항을 행사 전까지 보완하고 확인받아야 함"}
    ]
  }
}
$json$::jsonb);
