using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tiles;

/// <summary>A change to an asset invalidates exactly the cached tiles it touches, and no others.</summary>
public sealed class TileInvalidationTests(TileFixture tiles) : IClassFixture<TileFixture>
{
    [Fact]
    public async Task Editing_a_playground_refreshes_its_tiles_and_leaves_far_tiles_cached()
    {
        await using var cmd = tiles.Db.DataSource.CreateCommand(
            "SELECT a.id, ST_X(a.geom), ST_Y(a.geom) FROM asset a WHERE a.code = 'PG-S000005'");   // in 문산읍
        long id;
        double lon, lat;
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            (id, lon, lat) = (reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2));
        }
        var (x, y) = TileMath.TileOf(lon, lat, 16);
        var near = $"/tiles/playground/16/{x}/{y}.mvt";
        var (cx, cy) = TileMath.TileOf(lon, lat, 10);
        var cluster = $"/tiles/playground/10/{cx}/{cy}.mvt";
        var (fx, fy) = TileMath.TileOf(126.745, 37.715, 16);   // 운정, 18 km away
        var far = $"/tiles/playground/16/{fx}/{fy}.mvt";

        await tiles.WaitUntilCachingAsync(near);
        await tiles.WaitUntilCachingAsync(cluster);
        await tiles.WaitUntilCachingAsync(far);
        var nearBefore = await tiles.GetAsync(near);
        var clusterBefore = await tiles.GetAsync(cluster);
        var farBefore = await tiles.GetAsync(far);

        await tiles.Db.ExecuteAsync("UPDATE playground SET grade = '이용금지' WHERE asset_id = $1", id);

        // The change reaches the server by NOTIFY: wait for it, generously.
        var nearAfter = await WaitForNewETagAsync(near, nearBefore.Headers.ETag!.Tag);
        var layer = Assert.Single(MvtReader.Read(await nearAfter.Content.ReadAsByteArrayAsync()));
        Assert.Equal("이용금지", layer.Features.Single(f => (string)f.Properties["code"] == "PG-S000005").Properties["grade"]);
        Assert.Equal(3L, layer.Features.Single(f => (string)f.Properties["code"] == "PG-S000005").Properties["severity"]);

        var clusterAfter = await WaitForNewETagAsync(cluster, clusterBefore.Headers.ETag!.Tag);
        Assert.Contains(MvtReader.Read(await clusterAfter.Content.ReadAsByteArrayAsync()).Single().Features,
            f => (long)f.Properties["severity"] == 3);

        var farAfter = await tiles.GetAsync(far);
        Assert.Equal("hit", farAfter.Headers.GetValues("X-Tile-Cache").Single());
        Assert.Equal(farBefore.Headers.ETag!.Tag, farAfter.Headers.ETag!.Tag);
    }

    private async Task<HttpResponseMessage> WaitForNewETagAsync(string path, string oldTag)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var response = await tiles.GetAsync(path);
            if (response.Headers.ETag?.Tag != oldTag)
            {
                return response;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{path} still has its old ETag a minute after the change");
            await Task.Delay(100);
        }
    }
}
