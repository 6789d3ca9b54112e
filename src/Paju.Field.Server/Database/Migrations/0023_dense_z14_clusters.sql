-- Clusters kept for zoom 14 too: a z14 tile holding more than a few thousand points of one kind (a dense town, a
-- registry of 100,000) is drawn as clusters like the zooms below it, instead of thousands of overlapping dots that
-- take longer to encode than a map can wait for. Same cells (16×16 a tile), same counters; rebuilt from the rows.

CREATE OR REPLACE FUNCTION tile_cluster_apply(kinds text[], xs float8[], ys float8[], severities smallint[], closeds boolean[],
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
         generate_series(0, 14) AS z,
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

-- Rebuilt whole from the rows (applying the rows again would count the lower zooms twice).
TRUNCATE tile_cluster;
SELECT tile_cluster_apply(array_agg(kind), array_agg(ST_X(geom_3857)), array_agg(ST_Y(geom_3857)), array_agg(severity),
                          array_agg(closed_at IS NOT NULL), array_agg(overdue), array_agg(1))
FROM asset WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
HAVING count(*) > 0;
