using System.Text;

namespace Paju.Field.Server.Tiles;

/// <summary>
/// The SQL that cuts one tile: PostGIS does it all (ST_TileEnvelope, ST_AsMVTGeom, ST_AsMVT), one
/// layer per kind concatenated with ||. Parameters: $1 z, $2 x, $3 y.
/// Every layer orders its features by what they are (an asset by its id, a cluster by its place and counts),
/// never by how the rows were read: the same data gives the same bytes whatever plan PostgreSQL picks, however
/// the table lies on disk after updates and vacuums, and on any server — so a tile's ETag holds everywhere.
/// </summary>
public static class TileSql
{
    public static string For(Tileset tileset, int z) =>
        $"""
        WITH env AS (
            SELECT ST_TileEnvelope($1, $2, $3) AS e,
                   ST_TileEnvelope($1, $2, $3, margin => {(double)TileCatalog.Buffer / TileCatalog.Extent}) AS m
        )
        SELECT {string.Join(" || ", tileset.Layers.Select(l => $"coalesce(({Layer(l, z)}), ''::bytea)"))}
        """;

    private static string Layer(TileLayer layer, int z) => !layer.Clustered || z > TileCatalog.RawMinZoom ? RawLayer(layer, z)
        : z < TileCatalog.RawMinZoom ? ClusterLayer(layer)
        : DenseOrRawLayer(layer, z);

    /// <summary>
    /// The first zoom of single points: clusters all the same where one kind has more than
    /// <see cref="TileCatalog.DenseTileFeatures"/> points in the tile (counted no further than that). The branch not taken
    /// is never run: each is a subquery of its own.
    /// </summary>
    private static string DenseOrRawLayer(TileLayer layer, int z) =>
        $"""
        SELECT CASE WHEN (SELECT count(*) FROM (
                             SELECT 1 FROM asset a, env
                             WHERE a.kind = '{layer.Kind}' AND a.status = 'active' AND a.geom_3857 && env.e
                             LIMIT {TileCatalog.DenseTileFeatures + 1}) dense) > {TileCatalog.DenseTileFeatures}
                    THEN ({ClusterLayer(layer)})
                    ELSE ({RawLayer(layer, z)}) END
        """;

    private static string RawLayer(TileLayer layer, int z)
    {
        var fields = new StringBuilder();
        foreach (var f in layer.Fields.Where(f => f.MinZoom <= z))
        {
            fields.Append($"{f.Sql} AS {f.Name}, ");
        }
        return $"""
            SELECT ST_AsMVT(t, '{layer.Kind}', {TileCatalog.Extent}, 'geom', 'id' ORDER BY t.id) FROM (
                SELECT a.id, {fields}ST_AsMVTGeom(a.geom_3857, env.e, {TileCatalog.Extent}, {TileCatalog.Buffer}, true) AS geom
                FROM asset a LEFT JOIN {layer.KindTable} k ON k.asset_id = a.id, env
                WHERE a.kind = '{layer.Kind}' AND a.status = 'active' AND a.geom_3857 && env.m
            ) t WHERE t.geom IS NOT NULL
            """;
    }

    /// <summary>Cells of this tile and a ring around it (for the buffer), from the clusters kept on write.</summary>
    private static string ClusterLayer(TileLayer layer) =>
        $"""
        SELECT ST_AsMVT(t, '{layer.Kind}', {TileCatalog.Extent}, 'geom' ORDER BY t.geom, t.count, t.severity, t.n_closed, t.n_overdue) FROM (
            SELECT c.kind, 'active' AS status, c.n AS count, true AS cluster,
                   CASE WHEN c.n3 > 0 THEN 3 WHEN c.n2 > 0 THEN 2 WHEN c.n1 > 0 THEN 1 ELSE 0 END AS severity,
                   c.n_closed, c.n_overdue,
                   ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.sum_x / c.n, c.sum_y / c.n), 3857), env.e,
                                {TileCatalog.Extent}, {TileCatalog.Buffer}, true) AS geom
            FROM tile_cluster c, env
            WHERE c.z = $1 AND c.kind = '{layer.Kind}' AND c.n > 0
              AND c.cx BETWEEN $2 * {TileCatalog.CellsPerTile} - 1 AND $2 * {TileCatalog.CellsPerTile} + {TileCatalog.CellsPerTile}
              AND c.cy BETWEEN $3 * {TileCatalog.CellsPerTile} - 1 AND $3 * {TileCatalog.CellsPerTile} + {TileCatalog.CellsPerTile}
        ) t WHERE t.geom IS NOT NULL
        """;
}
