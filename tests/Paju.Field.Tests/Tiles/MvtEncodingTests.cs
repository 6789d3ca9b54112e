using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tiles;

/// <summary>
/// The MVT 2.1 spec's geometry encoding vectors, through the whole pipeline: assets placed so they
/// fall on the spec's tile coordinates, served by the server, decoded command by command.
/// </summary>
public sealed class MvtEncodingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const int Z = 16, X = 55846, Y = 25334;   // a tile in 파주
    private TestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        string Point(double px, double py)
        {
            // Pixel centres would round the same way; whole pixels are what the spec's vectors use.
            var (x, y) = TileMath.PixelTo3857(Z, X, Y, px, py);
            return $"{x} {y}";
        }
        await db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom) VALUES
              ('catch_basin', 'MVT-POINT', '점', ST_Transform(ST_GeomFromText('POINT({Point(25, 17)})', 3857), 4326)),
              ('drainage_channel', 'MVT-LINE', '선', ST_Transform(ST_GeomFromText('LINESTRING({Point(2, 2)}, {Point(2, 10)}, {Point(10, 10)})', 3857), 4326)),
              ('cable_zone', 'MVT-POLYGON', '면', ST_Transform(ST_GeomFromText('POLYGON(({Point(3, 6)}, {Point(8, 12)}, {Point(20, 34)}, {Point(3, 6)}))', 3857), 4326))
            ON CONFLICT (kind, code) DO NOTHING
            """);
        _server = await TestServer.StartAsync(db.ConnectionString);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task<MvtReader.Feature> FeatureAsync(string tileset)
    {
        using var client = _server.CreateClient();
        var bytes = await client.GetByteArrayAsync($"/tiles/{tileset}/{Z}/{X}/{Y}.mvt");
        return Assert.Single(Assert.Single(MvtReader.Read(bytes)).Features);
    }

    [Fact]
    public async Task A_point_at_25_17_is_MoveTo_9_50_34()
    {
        var feature = await FeatureAsync("catch_basin");
        Assert.Equal(1, feature.Type);
        Assert.Equal([9u, 50u, 34u], feature.Geometry);
    }

    [Fact]
    public async Task A_line_2_2__2_10__10_10_is_9_4_4_18_0_16_16_0()
    {
        var feature = await FeatureAsync("drainage_channel");
        Assert.Equal(2, feature.Type);
        Assert.Equal([9u, 4u, 4u, 18u, 0u, 16u, 16u, 0u], feature.Geometry);
    }

    [Fact]
    public async Task A_polygon_3_6__8_12__20_34_is_9_6_12_18_10_12_24_44_15_clockwise_on_screen()
    {
        var feature = await FeatureAsync("cable_zone");
        Assert.Equal(3, feature.Type);
        Assert.Equal([9u, 6u, 12u, 18u, 10u, 12u, 24u, 44u, 15u], feature.Geometry);
    }
}
