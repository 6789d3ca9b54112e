-- Vector tiles: geometry kept in EPSG:3857 beside the 4326 original, a severity for styling,
-- point clusters for low zooms maintained on write, and a change log from which servers learn
-- exactly which cached tiles a write touched.

---------------------------------------------------------------------------
-- Web Mercator copy: tiles are cut in 3857, so transform once on write, not per tile request.
---------------------------------------------------------------------------
ALTER TABLE asset ADD COLUMN geom_3857 geometry GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX asset_geom_3857_gix ON asset USING gist (geom_3857);

-- 0 fine, 1 caution, 2 needs repair, 3 closed/critical: what a map colours by.
-- Playgrounds: 양호 0, 요주의 1, 요수리 2, 이용금지 3. Public-use facilities: A/B 0, C 1, D 2, E 3.
ALTER TABLE asset ADD COLUMN severity smallint NOT NULL DEFAULT 0 CHECK (severity BETWEEN 0 AND 3);

---------------------------------------------------------------------------
-- Point clusters for zooms 0..13: 16×16 cells per tile. Each cell keeps counts per severity
-- and coordinate sums (for its centroid), so a write adds or subtracts without rescanning.
---------------------------------------------------------------------------
CREATE TABLE tile_cluster (
    z      smallint NOT NULL,
    kind   text NOT NULL,
    cx     integer NOT NULL,    -- cell column from the west edge of the world
    cy     integer NOT NULL,    -- cell row from the north edge (tile y order)
    n      integer NOT NULL,
    n1     integer NOT NULL,
    n2     integer NOT NULL,
    n3     integer NOT NULL,
    sum_x  float8 NOT NULL,
    sum_y  float8 NOT NULL,
    PRIMARY KEY (z, kind, cx, cy)
);

CREATE FUNCTION tile_cluster_apply(kinds text[], xs float8[], ys float8[], severities smallint[], signs integer[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO tile_cluster AS c (z, kind, cx, cy, n, n1, n2, n3, sum_x, sum_y)
    SELECT z, kind,
           floor((x + 20037508.342789244) / cell)::integer,
           floor((20037508.342789244 - y) / cell)::integer,
           sum(sign), coalesce(sum(sign) FILTER (WHERE severity = 1), 0), coalesce(sum(sign) FILTER (WHERE severity = 2), 0),
           coalesce(sum(sign) FILTER (WHERE severity = 3), 0), sum(sign * x), sum(sign * y)
    FROM unnest(kinds, xs, ys, severities, signs) AS r(kind, x, y, severity, sign),
         generate_series(0, 13) AS z,
         LATERAL (SELECT 40075016.685578488 / (16 * 2 ^ z)) AS g(cell)
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (z, kind, cx, cy) DO UPDATE SET
        n = c.n + excluded.n,
        n1 = c.n1 + excluded.n1,
        n2 = c.n2 + excluded.n2,
        n3 = c.n3 + excluded.n3,
        sum_x = c.sum_x + excluded.sum_x,
        sum_y = c.sum_y + excluded.sum_y;
$$;

---------------------------------------------------------------------------
-- Change log: one row per changed asset with the 3857 box of its old and new geometry.
-- Servers LISTEN on 'registry_changed' and evict exactly the cached tiles these boxes touch.
---------------------------------------------------------------------------
CREATE TABLE tile_change (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind     text NOT NULL,
    minx     float8 NOT NULL,
    miny     float8 NOT NULL,
    maxx     float8 NOT NULL,
    maxy     float8 NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tile_change_at_idx ON tile_change (at);

CREATE FUNCTION asset_tiles_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_cluster_apply(array_agg(kind), array_agg(ST_X(geom_3857)), array_agg(ST_Y(geom_3857)), array_agg(severity), array_agg(1))
    FROM new_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT';
    INSERT INTO tile_change (kind, minx, miny, maxx, maxy)
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM new_rows;
    PERFORM pg_notify('registry_changed', '');
    RETURN NULL;
END $$;

CREATE FUNCTION asset_tiles_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_cluster_apply(array_agg(kind), array_agg(x), array_agg(y), array_agg(severity), array_agg(sign))
    FROM (
        SELECT kind, ST_X(geom_3857) x, ST_Y(geom_3857) y, severity, -1 sign
        FROM old_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
        UNION ALL
        SELECT kind, ST_X(geom_3857), ST_Y(geom_3857), severity, 1
        FROM new_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
    ) r;
    INSERT INTO tile_change (kind, minx, miny, maxx, maxy)
    SELECT n.kind,
           least(ST_XMin(o.geom_3857), ST_XMin(n.geom_3857)), least(ST_YMin(o.geom_3857), ST_YMin(n.geom_3857)),
           greatest(ST_XMax(o.geom_3857), ST_XMax(n.geom_3857)), greatest(ST_YMax(o.geom_3857), ST_YMax(n.geom_3857))
    FROM new_rows n JOIN old_rows o ON o.id = n.id;
    PERFORM pg_notify('registry_changed', '');
    RETURN NULL;
END $$;

CREATE FUNCTION asset_tiles_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_cluster_apply(array_agg(kind), array_agg(ST_X(geom_3857)), array_agg(ST_Y(geom_3857)), array_agg(severity), array_agg(-1))
    FROM old_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT';
    INSERT INTO tile_change (kind, minx, miny, maxx, maxy)
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM old_rows;
    PERFORM pg_notify('registry_changed', '');
    RETURN NULL;
END $$;

CREATE TRIGGER asset_tiles_insert AFTER INSERT ON asset REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_tiles_after_insert();
CREATE TRIGGER asset_tiles_update AFTER UPDATE ON asset REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_tiles_after_update();
CREATE TRIGGER asset_tiles_delete AFTER DELETE ON asset REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_tiles_after_delete();

---------------------------------------------------------------------------
-- A kind row changing (a playground's grade, a zone's lifecycle) changes its tiles too: touch
-- the asset row, recomputing severity, so the asset triggers above do the rest.
---------------------------------------------------------------------------
CREATE FUNCTION asset_severity(kind text, asset_id bigint) RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT CASE kind
        WHEN 'playground' THEN (SELECT CASE grade WHEN '요주의' THEN 1 WHEN '요수리' THEN 2 WHEN '이용금지' THEN 3 ELSE 0 END
                                FROM playground WHERE playground.asset_id = $2)
        WHEN 'public_facility' THEN (SELECT CASE safety_grade WHEN 'C' THEN 1 WHEN 'D' THEN 2 WHEN 'E' THEN 3 ELSE 0 END
                                     FROM public_facility WHERE public_facility.asset_id = $2)
        ELSE 0 END::smallint;
$$;

CREATE FUNCTION kind_row_touch_asset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE asset a SET severity = coalesce(asset_severity(a.kind, a.id), 0), updated_at = now()
    WHERE a.id IN (SELECT asset_id FROM changed_rows);
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['risk_district', 'pump_station', 'pump', 'retention_basin', 'storage_tank', 'drainage_channel',
                             'catch_basin', 'embankment', 'drainage_structure', 'cable_zone', 'playground', 'public_facility']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION kind_row_touch_asset()', t || '_tiles_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION kind_row_touch_asset()', t || '_tiles_update', t);
    END LOOP;
END $$;

-- Assets that exist already (a registry loaded before this migration): cluster them as they are
-- (severity 0), then set their severity, which the update trigger moves between the counters.
SELECT tile_cluster_apply(array_agg(kind), array_agg(ST_X(geom_3857)), array_agg(ST_Y(geom_3857)), array_agg(severity), array_agg(1))
FROM asset WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
HAVING count(*) > 0;
UPDATE asset a SET severity = coalesce(asset_severity(a.kind, a.id), 0) WHERE asset_severity(a.kind, a.id) <> 0;
DELETE FROM tile_change;
