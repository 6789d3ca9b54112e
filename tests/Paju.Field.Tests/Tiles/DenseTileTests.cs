using Paju.Field.Server.Tiles;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tiles;

/// <summary>
/// z14 is the first zoom of single points — except where one kind crowds a tile past
/// <see cref="TileCatalog.DenseTileFeatures"/>: that tile is drawn as clusters, like the zooms below, and stays small.
/// </summary>
public sealed class DenseTileTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    /// <summary>Inserts <paramref name="count"/> playgrounds spread over the middle of tile 14/x/y (kept clear of its edges).</summary>
    private Task<int> CrowdAsync(string prefix, int count, int x, int y)
    {
        var (west, north) = TileMath.PixelTo3857(14, x, y, 400, 400);
        var (east, south) = TileMath.PixelTo3857(14, x, y, 3700, 3700);
        return db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom)
            SELECT 'playground', '{prefix}' || i, '밀집 시험 ' || i,
                   ST_Transform(ST_SetSRID(ST_MakePoint({west} + (i * 7919 % {count}) / {count}.0 * {east - west},
                                                        {south} + (i * 104729 % {count}) / {count}.0 * {north - south}), 3857), 4326)
            FROM generate_series(1, {count}) i
            """);
    }

    private async Task<MvtReader.Layer> PlaygroundsAsync(int z, int x, int y)
    {
        var tile = await TileRenderer.RenderAsync(db.DataSource, TileCatalog.Find("playground")!, z, x, y, default);
        return MvtReader.Read(tile).Single(l => l.Name == "playground");
    }

    [Fact]
    public async Task A_z14_tile_crowded_past_the_limit_is_drawn_as_clusters_and_its_neighbour_as_points()
    {
        var (x, y) = TileMath.TileOf(126.7802, 37.7599, 14);
        await CrowdAsync("PG-D", TileCatalog.DenseTileFeatures + 1, x, y);
        await CrowdAsync("PG-E", 200, x + 1, y);

        var crowded = await PlaygroundsAsync(14, x, y);
        Assert.All(crowded.Features, f => Assert.Equal(true, f.Properties["cluster"]));
        Assert.Equal(TileCatalog.DenseTileFeatures + 1, crowded.Features.Sum(f => Convert.ToInt64(f.Properties["count"])));
        Assert.InRange(crowded.Features.Count, 2, 16 * 16);

        var sparse = await PlaygroundsAsync(14, x + 1, y);
        Assert.Equal(200, sparse.Features.Count);
        Assert.All(sparse.Features, f => Assert.False(f.Properties.ContainsKey("cluster")));
        Assert.All(sparse.Features, f => Assert.NotNull(f.Id));

        // One zoom closer the crowd is single points again: the limit is z14's alone.
        var closer = new List<MvtReader.Feature>();
        for (var dx = 0; dx < 2; dx++)
        {
            for (var dy = 0; dy < 2; dy++)
            {
                closer.AddRange((await PlaygroundsAsync(15, 2 * x + dx, 2 * y + dy)).Features);
            }
        }
        Assert.All(closer, f => Assert.False(f.Properties.ContainsKey("cluster")));
        Assert.Equal(TileCatalog.DenseTileFeatures + 1, closer.Select(f => f.Id).Distinct().Count());   // the buffer repeats a few
    }
}
