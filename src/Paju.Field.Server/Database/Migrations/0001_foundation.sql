-- Foundation: the city's calendar, administrative areas, the asset registry,
-- accounts and the audit log. All geometry is stored in EPSG:4326; all times as timestamptz.

CREATE EXTENSION IF NOT EXISTS postgis;

---------------------------------------------------------------------------
-- Calendar rules of the city: months and half-years are Seoul's, not UTC's.
-- (The same rules live in Paju.Field.Calendar.SeoulCalendar.)
---------------------------------------------------------------------------
CREATE FUNCTION seoul_month(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_trunc('month', at AT TIME ZONE 'Asia/Seoul')::date;

-- '2025-H1' (상반기) or '2025-H2' (하반기)
CREATE FUNCTION seoul_half_year(at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN to_char(at AT TIME ZONE 'Asia/Seoul', 'YYYY')
    || CASE WHEN extract(month FROM at AT TIME ZONE 'Asia/Seoul') <= 6 THEN '-H1' ELSE '-H2' END;

---------------------------------------------------------------------------
-- 읍면동 (administrative areas)
---------------------------------------------------------------------------
CREATE TABLE admin_area (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE,          -- 행정기관코드, 10 digits (e.g. 4148025000 문산읍)
    name        text NOT NULL,                 -- 문산읍
    full_name   text,                          -- 경기도 파주시 문산읍
    area_type   text NOT NULL CHECK (area_type IN ('eup', 'myeon', 'dong')),
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    source      text,
    is_sample   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_area_geom_gix ON admin_area USING gist (geom);

---------------------------------------------------------------------------
-- Asset registry: one table for what every asset has (a stable code, a name,
-- a geometry, a status) so maps, tiles and paging work across kinds; one
-- table per kind for the attributes queries need typed.
---------------------------------------------------------------------------
CREATE TABLE asset_kind (
    kind          text PRIMARY KEY,
    name_ko       text NOT NULL,
    name_en       text NOT NULL,
    geometry_type text NOT NULL CHECK (geometry_type IN ('POINT', 'LINESTRING', 'POLYGON')),
    sort_order    integer NOT NULL
);

INSERT INTO asset_kind (kind, name_ko, name_en, geometry_type, sort_order) VALUES
    ('risk_district',      '자연재해위험개선지구', 'Natural-disaster risk improvement district', 'POLYGON',    10),
    ('pump_station',       '배수펌프장',           'Drainage pump station',                      'POINT',      20),
    ('pump',               '배수펌프',             'Drainage pump',                              'POINT',      30),
    ('retention_basin',    '유수지',               'Retention basin',                            'POLYGON',    40),
    ('storage_tank',       '저류조',               'Storage tank',                               'POLYGON',    50),
    ('drainage_channel',   '배수로',               'Drainage channel',                           'LINESTRING', 60),
    ('catch_basin',        '집수정',               'Catch basin',                                'POINT',      70),
    ('embankment',         '축제·호안',            'Embankment',                                 'LINESTRING', 80),
    ('drainage_structure', '배수구조물',           'Drainage structure',                         'POINT',      90),
    ('cable_zone',         '공중케이블 정비구역',  'Aerial-cable maintenance zone',              'POLYGON',   100),
    ('playground',         '어린이 놀이시설',      'Children''s playground',                     'POINT',     110),
    ('public_facility',    '공중이용시설',         'Public-use facility',                        'POINT',     120);

CREATE TABLE asset (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL REFERENCES asset_kind (kind),
    code            text NOT NULL,                 -- stable external code, unique within a kind
    name            text NOT NULL,
    geom            geometry(Geometry, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    parent_id       bigint REFERENCES asset (id) ON DELETE SET NULL,   -- pump → station → district
    admin_area_code text,                          -- 읍면동, assigned by point-in-polygon on import
    address         text,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    retired_at      timestamptz,
    is_sample       boolean NOT NULL DEFAULT false,
    source          text,                          -- 'sample', an import batch, a registry name
    properties      jsonb NOT NULL DEFAULT '{}',   -- source fields kept as they came
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, code),
    CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE INDEX asset_geom_gix ON asset USING gist (geom);
-- Serves keyset pages (kind, status, id > $after ORDER BY id) and counts of a kind without touching the heap.
CREATE INDEX asset_kind_status_id_idx ON asset (kind, status, id);
CREATE INDEX asset_parent_idx ON asset (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX asset_sample_idx ON asset (id) WHERE is_sample;

-- A playground is a point and a district a polygon: enforce the kind's geometry type
-- (its multi-part form allowed) so a wrong file cannot put a line where a point belongs.
CREATE FUNCTION asset_check_geometry_type() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    expected text;
BEGIN
    SELECT geometry_type INTO expected FROM asset_kind WHERE kind = NEW.kind;
    IF replace(GeometryType(NEW.geom), 'MULTI', '') <> expected THEN
        RAISE EXCEPTION 'asset % (%) must be a % geometry, not %',
            NEW.code, NEW.kind, expected, GeometryType(NEW.geom)
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := CASE WHEN TG_OP = 'UPDATE' THEN now() ELSE NEW.updated_at END;
    RETURN NEW;
END $$;

CREATE TRIGGER asset_geometry_type BEFORE INSERT OR UPDATE ON asset
    FOR EACH ROW EXECUTE FUNCTION asset_check_geometry_type();

-- 자연재해위험개선지구
CREATE TABLE risk_district (
    asset_id            bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    risk_type           text NOT NULL,            -- 침수위험
    grade               text NOT NULL CHECK (grade IN ('가', '나', '다', '라')),
    designated_area_m2  numeric NOT NULL CHECK (designated_area_m2 > 0),
    designated_on       date,
    project_start       date,
    project_end         date,
    budget_mkrw         numeric,                  -- million KRW, total
    budget_national_mkrw numeric,
    budget_province_mkrw numeric,
    budget_city_mkrw    numeric,
    milestones          jsonb NOT NULL DEFAULT '[]'
);

-- 배수펌프장
CREATE TABLE pump_station (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    station_type  text NOT NULL CHECK (station_type IN ('main', 'simple')),   -- 배수펌프장 / 간이배수펌프장
    pump_count    integer NOT NULL CHECK (pump_count > 0)
);

-- 배수펌프 (parent: its station)
CREATE TABLE pump (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    pump_no       integer NOT NULL CHECK (pump_no > 0),
    pump_type     text NOT NULL,                  -- 수중펌프 (submersible)
    diameter_mm   integer NOT NULL CHECK (diameter_mm > 0),
    capacity_m3_per_min numeric
);

-- 유수지
CREATE TABLE retention_basin (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    capacity_m3   numeric NOT NULL CHECK (capacity_m3 > 0)
);

-- 저류조
CREATE TABLE storage_tank (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    capacity_m3   numeric NOT NULL CHECK (capacity_m3 > 0)
);

-- 배수로
CREATE TABLE drainage_channel (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    channel_type  text NOT NULL,                  -- U형 개거
    length_m      numeric NOT NULL CHECK (length_m > 0)
);

-- 집수정 (parent: its channel)
CREATE TABLE catch_basin (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    basin_no      integer
);

-- 축제·호안
CREATE TABLE embankment (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    stream_name   text,                           -- 건말소하천
    length_m      numeric NOT NULL CHECK (length_m > 0),
    banks         text NOT NULL CHECK (banks IN ('left', 'right', 'both'))
);

-- 배수구조물
CREATE TABLE drainage_structure (
    asset_id       bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    structure_type text NOT NULL
);

-- 공중케이블 정비구역
CREATE TABLE cable_zone (
    asset_id      bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    zone_year     integer NOT NULL,
    lifecycle     text NOT NULL CHECK (lifecycle IN ('applied', 'pre_consulted', 'selected', 'in_works', 'done')),
    area_km2      numeric NOT NULL CHECK (area_km2 > 0),
    works_start   date,
    works_end     date,
    budget_mkrw   numeric,
    funding       text,
    applied_on    date,
    selected_on   date,
    completed_on  date
);
CREATE INDEX cable_zone_lifecycle_idx ON cable_zone (lifecycle);

-- 어린이 놀이시설
CREATE TABLE playground (
    asset_id          bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    facility_no       text NOT NULL UNIQUE,       -- national facility number (pfctSn)
    install_date      date,
    install_place     text,                       -- 설치장소: 주택단지, 도시공원, 어린이집 …
    indoor            boolean,
    public_owned      boolean,
    road_address      text,
    lot_address       text,
    grade             text CHECK (grade IN ('양호', '요주의', '요수리', '이용금지')),
    graded_at         timestamptz
);
CREATE INDEX playground_grade_idx ON playground (grade);

-- 공중이용시설 (중대재해처벌법)
CREATE TABLE public_facility (
    asset_id          bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
    facility_type     text NOT NULL CHECK (facility_type IN
                          ('building', 'bridge', 'water_sewer', 'retaining_wall_slope', 'library', 'tunnel_underpass')),
    fms_no            text UNIQUE,                -- 시설물번호 in FMS (e.g. BR2003-0000012)
    facility_class    text CHECK (facility_class IN ('1종', '2종', '3종')),
    safety_grade      text CHECK (safety_grade IN ('A', 'B', 'C', 'D', 'E')),
    completed_year    integer,
    owning_department text
);
CREATE INDEX public_facility_type_idx ON public_facility (facility_type);

---------------------------------------------------------------------------
-- Accounts
---------------------------------------------------------------------------
CREATE TABLE app_user (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,31}$'),
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'inspector', 'viewer')),
    password_hash text NOT NULL,                  -- ASP.NET Core Identity v3 format (PBKDF2-HMAC-SHA512)
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    disabled_at   timestamptz
);
CREATE UNIQUE INDEX app_user_username_idx ON app_user (username);

-- Bearer tokens for the API and the command line; only their SHA-256 is kept.
CREATE TABLE api_token (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    label         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_token_user_idx ON api_token (user_id);

---------------------------------------------------------------------------
-- Audit log: who did what, when, from where. Written in the same transaction
-- as the change it records; append-only.
---------------------------------------------------------------------------
CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint REFERENCES app_user (id),   -- users are disabled, never deleted
    actor         text NOT NULL,                  -- username, or cli:osuser@host, or system:…
    via           text NOT NULL CHECK (via IN ('web', 'api', 'cli', 'system', 'device')),
    remote_addr   text,
    action        text NOT NULL,                  -- user.create, seed.sample, login.failed …
    entity_type   text,
    entity_id     text,
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
