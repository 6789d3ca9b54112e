using System.Security.Cryptography;
using Npgsql;
using Paju.Field.Server.Tiles;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tiles;

/// <summary>
/// A tile is a function of the data alone: not of the plan PostgreSQL picks, nor of where the rows lie on disk
/// after updates and vacuums (or on another server restored from a dump), so its ETag holds everywhere.
/// </summary>
public sealed class TileDeterminismTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task The_same_playgrounds_give_the_same_tile_bytes_after_their_rows_move_and_under_another_plan()
    {
        var (x, y) = TileMath.TileOf(126.7420, 37.7120, 15);
        var (west, north) = TileMath.PixelTo3857(15, x, y, 300, 300);
        var (east, south) = TileMath.PixelTo3857(15, x, y, 3800, 3800);
        await db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom)
            SELECT 'playground', 'PG-O' || i, '순서 시험 ' || i,
                   ST_Transform(ST_SetSRID(ST_MakePoint({west} + (i * 7919 % 400) / 400.0 * {east - west},
                                                        {south} + (i * 104729 % 400) / 400.0 * {north - south}), 3857), 4326)
            FROM generate_series(1, 400) i
            """);
        var tileset = TileCatalog.Find("all")!;
        // The raw points at z15, and the clusters they make at z12.
        var tiles = new[] { (15, x, y), (12, x >> 3, y >> 3) };
        var before = await RenderAllAsync(db.DataSource, tileset, tiles);
        Assert.All(before, t => Assert.True(t.Length > 200, "the tile holds the test's playgrounds"));

        // Every other row rewritten as it was: new row versions at the end of the table, then vacuumed.
        await db.ExecuteAsync("UPDATE asset SET name = name WHERE code LIKE 'PG-O%' AND substr(code, 5)::int % 2 = 0");
        await db.ExecuteAsync("VACUUM ANALYZE asset");
        var moved = await RenderAllAsync(db.DataSource, tileset, tiles);

        // A session whose planner may neither use the indexes nor bitmaps: rows come in the table's own order.
        var seqScan = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Options = "-c enable_indexscan=off -c enable_bitmapscan=off" };
        await using var seqScanDb = NpgsqlDataSource.Create(seqScan);
        var scanned = await RenderAllAsync(seqScanDb, tileset, tiles);

        for (var i = 0; i < tiles.Length; i++)
        {
            Assert.Equal(Hash(before[i]), Hash(moved[i]));
            Assert.Equal(Hash(before[i]), Hash(scanned[i]));
        }
    }

    private static async Task<byte[][]> RenderAllAsync(NpgsqlDataSource source, Tileset tileset, (int Z, int X, int Y)[] tiles)
    {
        var rendered = new byte[tiles.Length][];
        for (var i = 0; i < tiles.Length; i++)
        {
            rendered[i] = await TileRenderer.RenderAsync(source, tileset, tiles[i].Z, tiles[i].X, tiles[i].Y, default);
        }
        return rendered;
    }

    private static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));
}
