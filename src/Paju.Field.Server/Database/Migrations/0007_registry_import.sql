-- Registry imports: every load of a national registry, a facility list or the 읍면동 boundaries is a
-- batch that says who loaded which file when and what it changed, and can be undone. The city's
-- outline is kept on its own as the extent "inside Paju" falls back to before 읍면동 are loaded.

CREATE TABLE import_batch (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,                 -- playground, public_facility, admin_area, city_outline
    status          text NOT NULL CHECK (status IN ('applied', 'rejected', 'undone')),
    file_name       text NOT NULL,
    file_sha256     text NOT NULL,
    file_bytes      bigint NOT NULL,
    format          text NOT NULL CHECK (format IN ('csv', 'geojson', 'gpkg')),
    crs             integer NOT NULL,
    encoding        text,
    options         jsonb NOT NULL DEFAULT '{}',
    actor_user_id   bigint REFERENCES app_user (id),
    actor           text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT now(),
    rows_read       integer NOT NULL DEFAULT 0,
    inserted        integer NOT NULL DEFAULT 0,
    updated         integer NOT NULL DEFAULT 0,
    unchanged       integer NOT NULL DEFAULT 0,
    invalid         integer NOT NULL DEFAULT 0,
    filtered        integer NOT NULL DEFAULT 0,       -- outside Paju under --clip-to-city
    repaired        integer NOT NULL DEFAULT 0,
    missing         integer NOT NULL DEFAULT 0,       -- in the registry, not in a --full file
    retired         integer NOT NULL DEFAULT 0,
    undone_at       timestamptz,
    undone_by       text,
    CHECK ((status = 'undone') = (undone_at IS NOT NULL))
);
CREATE INDEX import_batch_kind_idx ON import_batch (kind, id);

-- The rows a batch found wrong, kept for review whether or not the batch was applied.
CREATE TABLE import_issue (
    batch_id    bigint NOT NULL REFERENCES import_batch (id),
    row_no      bigint,                            -- CSV line, GeoJSON feature or GeoPackage row number
    field       text,
    reason      text NOT NULL,
    value       text
);
CREATE INDEX import_issue_batch_idx ON import_issue (batch_id, row_no);

-- What a batch overwrote: the row as it was, so that undo can put it back. Rows the batch created
-- carry its id in created_batch_id instead (a million fresh rows need no before-image).
CREATE TABLE import_change (
    batch_id      bigint NOT NULL REFERENCES import_batch (id),
    target        text NOT NULL CHECK (target IN ('asset', 'admin_area', 'city_outline')),
    code          text NOT NULL,
    action        text NOT NULL CHECK (action IN ('update', 'retire')),
    before        jsonb NOT NULL,
    before_detail jsonb,
    PRIMARY KEY (batch_id, target, code)
);

ALTER TABLE asset ADD COLUMN created_batch_id bigint REFERENCES import_batch (id);
CREATE INDEX asset_created_batch_idx ON asset (created_batch_id) WHERE created_batch_id IS NOT NULL;
ALTER TABLE admin_area ADD COLUMN created_batch_id bigint REFERENCES import_batch (id);

---------------------------------------------------------------------------
-- The city outline (파주시 경계): the configured extent when no 읍면동 are loaded.
---------------------------------------------------------------------------
CREATE TABLE city_outline (
    code              text PRIMARY KEY,            -- 4148000000
    name              text NOT NULL,
    geom              geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    properties        jsonb NOT NULL DEFAULT '{}',
    created_batch_id  bigint REFERENCES import_batch (id),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

---------------------------------------------------------------------------
-- 읍면동 cut into small pieces: a point-in-polygon test against a piece of a few dozen vertices
-- instead of a whole 읍 of hundreds keeps assigning a million points to their 읍면동 fast.
-- Rebuilt whenever the areas change.
---------------------------------------------------------------------------
CREATE TABLE admin_area_piece (
    code  text NOT NULL,
    geom  geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX admin_area_piece_gix ON admin_area_piece USING gist (geom);

CREATE TABLE city_outline_piece (
    geom  geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX city_outline_piece_gix ON city_outline_piece USING gist (geom);

CREATE FUNCTION admin_area_pieces_rebuild() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM admin_area_piece;
    INSERT INTO admin_area_piece (code, geom)
        SELECT code, ST_Subdivide(geom, 64) FROM admin_area;
    RETURN NULL;
END $$;

CREATE TRIGGER admin_area_pieces AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_area
    FOR EACH STATEMENT EXECUTE FUNCTION admin_area_pieces_rebuild();

CREATE FUNCTION city_outline_pieces_rebuild() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM city_outline_piece;
    INSERT INTO city_outline_piece (geom) SELECT ST_Subdivide(geom, 64) FROM city_outline;
    RETURN NULL;
END $$;

CREATE TRIGGER city_outline_pieces AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON city_outline
    FOR EACH STATEMENT EXECUTE FUNCTION city_outline_pieces_rebuild();

-- The 읍면동 of a line or polygon: the one it overlaps most (a point uses the pieces directly).
CREATE FUNCTION admin_area_code_of(g geometry) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.code FROM admin_area a
    WHERE ST_Intersects(a.geom, g)
    ORDER BY CASE WHEN ST_Dimension(g) = 2 THEN ST_Area(ST_Intersection(a.geom, g))
                  WHEN ST_Dimension(g) = 1 THEN ST_Length(ST_Intersection(a.geom, g))
                  ELSE 1 END DESC, a.code
    LIMIT 1
$$;

-- Every asset's 읍면동 again, after the areas changed (a reload, or an undone reload).
CREATE FUNCTION admin_area_reassign() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    changed integer;
BEGIN
    WITH placed AS (
        SELECT a.id,
               CASE WHEN ST_Dimension(a.geom) = 0
                    THEN (SELECT p.code FROM admin_area_piece p WHERE ST_Intersects(p.geom, a.geom) ORDER BY p.code LIMIT 1)
                    ELSE admin_area_code_of(a.geom) END AS code
        FROM asset a
    )
    UPDATE asset a SET admin_area_code = placed.code
    FROM placed
    WHERE placed.id = a.id AND a.admin_area_code IS DISTINCT FROM placed.code;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END $$;

-- Areas are part of the registry's revision (tiles and OGC caches key on it).
CREATE TRIGGER city_outline_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON city_outline
    FOR EACH STATEMENT EXECUTE FUNCTION registry_revision_bump();

-- Areas keep the fields of their source beside the typed ones, as assets do.
ALTER TABLE admin_area ADD COLUMN properties jsonb NOT NULL DEFAULT '{}';

-- A projected coordinate PROJ cannot place (far outside its CRS) becomes a row's problem, not a
-- failed import: only files in a projected CRS pay for this function's sub-transaction.
CREATE FUNCTION import_try_transform(g geometry) RETURNS geometry
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN ST_Transform(g, 4326);
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
