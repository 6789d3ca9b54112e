using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Paju.Field.Tests.Alarms;

namespace Paju.Field.Tests.Stations;

/// <summary>Station series downsampled server-side, as JSON and CSV.</summary>
public sealed class SeriesTests(AlarmFixture alarms) : IClassFixture<AlarmFixture>
{
    [Fact]
    public async Task The_last_24_hours_come_in_5_minute_buckets_with_min_mean_and_max()
    {
        await alarms.Db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom) VALUES ('pump_station', 'PS-SERIES', '시험 펌프장', ST_SetSRID(ST_MakePoint(126.85, 37.92), 4326))
            ON CONFLICT DO NOTHING
            """);
        await alarms.Db.ExecuteAsync("UPDATE device SET asset_id = (SELECT id FROM asset WHERE code = 'PS-SERIES') WHERE id = $1", alarms.DeviceId);
        var now = DateTimeOffset.UtcNow;
        var bucket = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.FromMinutes(5).Ticks, TimeSpan.Zero).AddMinutes(-30);
        foreach (var (offset, level) in new[] { (10, 2.0), (70, 2.4), (130, 3.0) })   // three readings in one 5-minute bucket
        {
            await alarms.ReadingAsync("series_level_m", level, bucket.AddSeconds(offset));
        }
        await alarms.ReadingAsync("series_level_m", 9.0, now.AddDays(-2));   // outside 24 h

        using var client = alarms.Operator();
        var json = await client.GetFromJsonAsync<JsonElement>("/api/stations/PS-SERIES/series?metric=series_level_m&range=24h");
        var point = Assert.Single(json.GetProperty("points").EnumerateArray());
        Assert.Equal(300, json.GetProperty("bucketSeconds").GetInt32());
        Assert.Equal(2.0, point.GetProperty("min").GetDouble());
        Assert.Equal(2.4667, point.GetProperty("avg").GetDouble(), 3);
        Assert.Equal(3.0, point.GetProperty("max").GetDouble());
        Assert.Equal(3, point.GetProperty("count").GetInt32());

        var week = await client.GetFromJsonAsync<JsonElement>("/api/stations/PS-SERIES/series?metric=series_level_m&range=7d");
        Assert.Equal(2, week.GetProperty("points").GetArrayLength());
        Assert.Equal(1800, week.GetProperty("bucketSeconds").GetInt32());

        var csv = await client.GetStringAsync("/api/stations/PS-SERIES/series?metric=series_level_m&range=24h&format=csv");
        var lines = csv.Trim().Split('\n');
        Assert.Equal("time,min,avg,max,count", lines[0]);
        Assert.EndsWith(",2,2.466667,3,3", lines[1]);
    }

    [Theory]
    [InlineData("/api/stations/PS-SERIES/series?range=24h", HttpStatusCode.BadRequest)]
    [InlineData("/api/stations/PS-SERIES/series?metric=series_level_m&range=1y", HttpStatusCode.BadRequest)]
    [InlineData("/api/stations/NOWHERE/series?metric=series_level_m", HttpStatusCode.NotFound)]
    public async Task Bad_requests_say_why(string url, HttpStatusCode status)
    {
        using var client = alarms.Operator();
        Assert.Equal(status, (await client.GetAsync(url)).StatusCode);
    }
}
