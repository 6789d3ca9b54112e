-- Clusters at zooms 0..13 count their closed (이용금지) and overdue members too, so the control room's overview map can
-- say "3 closed, 12 overdue here" before anyone zooms in. The counters move with the asset row, as the severity counts
-- do: the compliance columns are written on the asset by the inspection's transaction and the overdue job, and the
-- asset triggers subtract the old row and add the new.

ALTER TABLE tile_cluster
    ADD COLUMN n_closed  integer NOT NULL DEFAULT 0,
    ADD COLUMN n_overdue integer NOT NULL DEFAULT 0;

DROP FUNCTION tile_cluster_apply(text[], float8[], float8[], smallint[], integer[]);

CREATE FUNCTION tile_cluster_apply(kinds text[], xs float8[], ys float8[], severities smallint[], closeds boolean[],
                                   overdues boolean[], signs integer[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO tile_cluster AS c (z, kind, cx, cy, n, n1, n2, n3, n_closed, n_overdue, sum_x, sum_y)
    SELECT z, kind,
           floor((x + 20037508.342789244) / cell)::integer,
           floor((20037508.342789244 - y) / cell)::integer,
           sum(sign), coalesce(sum(sign) FILTER (WHERE severity = 1), 0), coalesce(sum(sign) FILTER (WHERE severity = 2), 0),
           coalesce(sum(sign) FILTER (WHERE severity = 3), 0), coalesce(sum(sign) FILTER (WHERE closed), 0),
           coalesce(sum(sign) FILTER (WHERE overdue), 0), sum(sign * x), sum(sign * y)
    FROM unnest(kinds, xs, ys, severities, closeds, overdues, signs) AS r(kind, x, y, severity, closed, overdue, sign),
         generate_series(0, 13) AS z,
         LATERAL (SELECT 40075016.685578488 / (16 * 2 ^ z)) AS g(cell)
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (z, kind, cx, cy) DO UPDATE SET
        n = c.n + excluded.n,
        n1 = c.n1 + excluded.n1,
        n2 = c.n2 + excluded.n2,
        n3 = c.n3 + excluded.n3,
        n_closed = c.n_closed + excluded.n_closed,
        n_overdue = c.n_overdue + excluded.n_overdue,
        sum_x = c.sum_x + excluded.sum_x,
        sum_y = c.sum_y + excluded.sum_y;
$$;

CREATE OR REPLACE FUNCTION asset_tiles_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_cluster_apply(array_agg(kind), array_agg(ST_X(geom_3857)), array_agg(ST_Y(geom_3857)), array_agg(severity),
                               array_agg(closed_at IS NOT NULL), array_agg(overdue), array_agg(1))
    FROM new_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT';
    INSERT INTO tile_change (kind, minx, miny, maxx, maxy)
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM new_rows;
    PERFORM pg_notify('registry_changed', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION asset_tiles_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_cluster_apply(array_agg(kind), array_agg(x), array_agg(y), array_agg(severity), array_agg(closed),
                               array_agg(overdue), array_agg(sign))
    FROM (
        SELECT kind, ST_X(geom_3857) x, ST_Y(geom_3857) y, severity, closed_at IS NOT NULL closed, overdue, -1 sign
        FROM old_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
        UNION ALL
        SELECT kind, ST_X(geom_3857), ST_Y(geom_3857), severity, closed_at IS NOT NULL, overdue, 1
        FROM new_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
    ) r;
    INSERT INTO tile_change (kind, minx, miny, maxx, maxy)
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM old_rows
    UNION
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM new_rows;
    PERFORM pg_notify('registry_changed', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION asset_tiles_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_cluster_apply(array_agg(kind), array_agg(ST_X(geom_3857)), array_agg(ST_Y(geom_3857)), array_agg(severity),
                               array_agg(closed_at IS NOT NULL), array_agg(overdue), array_agg(-1))
    FROM old_rows WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT';
    INSERT INTO tile_change (kind, minx, miny, maxx, maxy)
    SELECT kind, ST_XMin(geom_3857), ST_YMin(geom_3857), ST_XMax(geom_3857), ST_YMax(geom_3857) FROM old_rows;
    PERFORM pg_notify('registry_changed', '');
    RETURN NULL;
END $$;

-- The clusters of a registry that exists already are rebuilt from its rows, with the new counters.
TRUNCATE tile_cluster;
SELECT tile_cluster_apply(array_agg(kind), array_agg(ST_X(geom_3857)), array_agg(ST_Y(geom_3857)), array_agg(severity),
                          array_agg(closed_at IS NOT NULL), array_agg(overdue), array_agg(1))
FROM asset WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
HAVING count(*) > 0;
