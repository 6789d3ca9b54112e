-- Triggers that must stay linear when a registry import writes a million rows in one statement.
--
-- An update of many assets at once (a registry import touching every playground's severity) logged
-- its tile changes by joining the statement's old and new rows on id. The planner sees no statistics
-- for transition tables, estimates one row each and picks a nested loop: quadratic, 18 s for 10,000
-- rows. The old and new boxes are logged as rows of their own instead, which evicts the same tiles
-- (a moved asset's old and new places) with no join at all; UNION drops the box an unmoved asset
-- would otherwise log twice.

CREATE OR REPLACE FUNCTION asset_tiles_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM old_rows
    UNION
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM new_rows;
    PERFORM pg_notify('registry_changed', '');
    RETURN NULL;
END $$;

-- A kind row written in the same transaction as its asset row (an import inserting both) used to
-- update the asset row a second time: a new version of every row, every index, the tile counters
-- again. That touch only matters when it changes something: a severity the kind row decides, or an
-- asset not yet touched in this transaction (whose tiles must now show the kind's attributes).
-- An asset row written in this transaction has updated_at = now() and its boxes already logged.
CREATE OR REPLACE FUNCTION kind_row_touch_asset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE asset a SET severity = coalesce(asset_severity(a.kind, a.id), 0), updated_at = now()
    WHERE a.id IN (SELECT asset_id FROM changed_rows)
      AND (a.updated_at <> now() OR a.severity <> coalesce(asset_severity(a.kind, a.id), 0));
    RETURN NULL;
END $$;
