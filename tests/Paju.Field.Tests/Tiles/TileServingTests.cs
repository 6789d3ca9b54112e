using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Paju.Field.Server.Database;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tiles;

/// <summary>Serving: MVT media type, TileJSON 3.0, 204 for empty, 400 off the pyramid, ETags, and a real decoder (GDAL).</summary>
public sealed class TileServingTests(TileFixture tiles) : IClassFixture<TileFixture>
{
    private async Task<(string Code, double Lon, double Lat, string Grade)> APlaygroundAsync()
    {
        await using var cmd = tiles.Db.DataSource.CreateCommand("""
            SELECT a.code, ST_X(a.geom), ST_Y(a.geom), k.grade FROM asset a JOIN playground k ON k.asset_id = a.id
            WHERE a.code = 'PG-S000100'
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetString(3));
    }

    [Fact]
    public async Task TileJSON_3_lists_absolute_tile_URLs_and_the_fields_of_each_layer()
    {
        var response = await tiles.GetAsync("/tiles/all.json");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("3.0.0", json.GetProperty("tilejson").GetString());
        Assert.Equal(new Uri(tiles.Server.BaseAddress, "/tiles/all/{z}/{x}/{y}.mvt").ToString().Replace("%7B", "{").Replace("%7D", "}"),
            json.GetProperty("tiles")[0].GetString());
        var layers = json.GetProperty("vector_layers").EnumerateArray().ToDictionary(l => l.GetProperty("id").GetString()!);
        Assert.Contains("playground", layers.Keys);
        Assert.DoesNotContain("pump", layers.Keys);   // restricted layers are not in the public tileset
        var fields = layers["playground"].GetProperty("fields");
        foreach (var field in new[] { "code", "name", "kind", "grade", "severity", "count", "cluster" })
        {
            Assert.True(fields.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task TileJSON_follows_PublicBaseUrl()
    {
        await using var server = await TestServer.StartAsync(tiles.Db.ConnectionString,
            new Dictionary<string, string?> { ["Paju:PublicBaseUrl"] = "https://safety.paju.go.kr/field" });
        using var client = server.CreateClient();
        var json = JsonDocument.Parse(await client.GetStringAsync("/tiles/playground.json")).RootElement;
        Assert.Equal("https://safety.paju.go.kr/field/tiles/playground/{z}/{x}/{y}.mvt", json.GetProperty("tiles")[0].GetString());
    }

    [Fact]
    public async Task A_tile_has_the_MVT_media_type_an_ETag_and_cache_headers_and_revalidates_to_304()
    {
        var p = await APlaygroundAsync();
        var (x, y) = TileMath.TileOf(p.Lon, p.Lat, 15);
        var response = await tiles.GetAsync($"/tiles/playground/15/{x}/{y}.mvt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.mapbox-vector-tile", response.Content.Headers.ContentType?.MediaType);
        var etag = response.Headers.ETag!;
        Assert.Contains("max-age", response.Headers.CacheControl!.ToString());

        using var client = tiles.Server.CreateClient();
        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/tiles/playground/15/{x}/{y}.mvt");
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);
    }

    [Fact]
    public async Task An_empty_tile_is_204()
    {
        // Over the Pacific: no asset anywhere near.
        var response = await tiles.GetAsync("/tiles/all/8/10/100.mvt");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    [InlineData("/tiles/all/23/0/0.mvt")]
    [InlineData("/tiles/all/3/8/0.mvt")]
    [InlineData("/tiles/all/3/0/8.mvt")]
    [InlineData("/tiles/all/3/-1/0.mvt")]
    public async Task A_tile_outside_the_pyramid_is_400(string path)
    {
        var response = await tiles.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Restricted_tilesets_need_sign_in_and_unknown_ones_are_404()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await tiles.GetAsync("/tiles/pump/14/13969/6312.mvt")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tiles.GetAsync("/tiles/pump.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tiles.GetAsync("/tiles/nothing.json")).StatusCode);
    }

    [Fact]
    public async Task GDAL_decodes_a_served_tile_with_its_features_and_attributes()
    {
        var ogrinfo = Requires.Tool("ogrinfo", "apt-get install gdal-bin");
        var p = await APlaygroundAsync();
        const int z = 16;
        var (x, y) = TileMath.TileOf(p.Lon, p.Lat, z);
        var bytes = await (await tiles.GetAsync($"/tiles/all/{z}/{x}/{y}.mvt")).Content.ReadAsByteArrayAsync();
        // GDAL's MVT driver georeferences a tile from a z/x/y.pbf path.
        var dir = Path.Combine(TempDirectory.Create("paju-mvt-"), z.ToString(), x.ToString());
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"{y}.pbf");
        await File.WriteAllBytesAsync(file, bytes);

        var result = await ProcessRunner.RunAsync(ogrinfo, ["-ro", "-al", "-q", file, "playground"]);

        Assert.True(result.Succeeded, result.Explanation);
        Assert.Contains($"code (String) = {p.Code}", result.StandardOutput);
        Assert.Contains($"grade (String) = {p.Grade}", result.StandardOutput);
        Assert.Contains("kind (String) = playground", result.StandardOutput);
        var (ex, ey) = TileMath.LonLatTo3857(p.Lon, p.Lat);
        var points = result.StandardOutput.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("POINT ("))
            .Select(l => l["POINT (".Length..^1].Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        // Tile coordinates are quantised to 1/4096 of the tile (≈ 0.15 m at z16).
        Assert.Contains(points, xy => Math.Abs(xy[0] - ex) < 1 && Math.Abs(xy[1] - ey) < 1);
    }

    [Fact]
    public async Task Below_z14_points_arrive_as_clusters_whose_counts_add_up_to_the_points_in_the_tile()
    {
        const int z = 11, x = 1745, y = 791;   // Unjeong and Gyoha, where most sample playgrounds are
        var bytes = await (await tiles.GetAsync($"/tiles/playground/{z}/{x}/{y}.mvt")).Content.ReadAsByteArrayAsync();
        var layer = Assert.Single(MvtReader.Read(bytes));
        Assert.Equal("playground", layer.Name);
        Assert.Equal(2u, layer.Version);
        Assert.Equal(4096u, layer.Extent);
        Assert.All(layer.Features, f => Assert.Equal(true, f.Properties["cluster"]));

        // Clusters from the buffer ring belong to neighbouring tiles; those inside the tile hold its points.
        var inside = layer.Features.Where(f => MvtReader.PointOf(f) is var (px, py) && px is >= 0 and < 4096 && py is >= 0 and < 4096);
        var expected = await tiles.Db.ScalarAsync<long>(
            "SELECT count(*) FROM asset WHERE kind = 'playground' AND status = 'active' AND ST_Intersects(geom_3857, ST_TileEnvelope($1, $2, $3))", z, x, y);
        Assert.True(expected > 50);
        Assert.Equal(expected, inside.Sum(f => (long)f.Properties["count"]));
    }
}
