using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Seeding;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Stations;

/// <summary>Stage–storage curves as data: volume and fill derived from level; the top of each curve is the capacity.</summary>
public sealed class StageStorageTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await SampleSeeder.SeedAsync(db.DataSource, Actor.System("test"), NullLogger.Instance, default);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<decimal> VolumeAsync(string code, double level) =>
        db.ScalarAsync<decimal>("SELECT stage_volume(id, $2::numeric) FROM asset WHERE code = $1", code, level);

    private Task<decimal> FillAsync(string code, double level) =>
        db.ScalarAsync<decimal>("SELECT fill_percent(id, $2::numeric) FROM asset WHERE code = $1", code, level);

    [Theory]
    [InlineData("ULGOK-RB1", 6.0, 264_157)]
    [InlineData("ULGOK-ST1", 3.0, 306)]
    public async Task The_top_of_the_curve_is_the_capacity(string code, double top, double capacity)
    {
        Assert.Equal((decimal)capacity, await VolumeAsync(code, top));
        Assert.Equal(100m, await FillAsync(code, top));
        Assert.Equal((decimal)capacity, await VolumeAsync(code, top + 1));   // clamped: a wild sensor invents no water
        Assert.Equal(0m, await VolumeAsync(code, -0.5));
    }

    [Fact]
    public async Task Volume_between_points_is_interpolated_and_rises_faster_higher_up()
    {
        // Points at 2.0 m and 2.5 m: 80,000 + 671.03·4 and 100,000 + 671.03·6.25.
        var at2 = await VolumeAsync("ULGOK-RB1", 2.0);
        var at25 = await VolumeAsync("ULGOK-RB1", 2.5);
        Assert.Equal((at2 + at25) / 2, await VolumeAsync("ULGOK-RB1", 2.25), 1);
        Assert.True(await VolumeAsync("ULGOK-RB1", 6.0) - await VolumeAsync("ULGOK-RB1", 5.5) > await VolumeAsync("ULGOK-RB1", 0.5));
        Assert.Equal(50m, await FillAsync("ULGOK-ST1", 1.5));
    }
}
