using System.Net.Http.Headers;
using System.Text.Json;
using Paju.Field.Server.Accounts;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Telemetry;

/// <summary>Latest-state changes reach the live feed as 'state' events, grouped by device, off the ingest's hot path.</summary>
public sealed class LiveStateTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    [Fact]
    public async Task A_new_reading_arrives_on_the_live_feed_and_a_replayed_older_one_does_not()
    {
        string token;
        await using (var conn = await mqtt.Db.DataSource.OpenConnectionAsync())
        {
            var user = await UserStore.CreateAsync(conn, null, "operator.live", "실시간", Roles.Operator, "operator-password-1", default);
            token = (await ApiTokens.IssueAsync(conn, null, user.Id, "test", TimeSpan.FromHours(1), default)).Token;
        }
        using var client = mqtt.Server.CreateClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/api/live", HttpCompletionOption.ResponseHeadersRead);
        using var feed = new SseReader(await response.Content.ReadAsStreamAsync());

        await using (var device = await mqtt.ConnectAsync())
        {
            device.Boot = 5001;
            var now = DateTimeOffset.UtcNow;
            await device.PublishAsync(device.Reading(now, numbers: new() { ["basin_level_m"] = 3.14 }));
            await device.PublishAsync(device.Reading(now.AddMinutes(-5), historical: true, numbers: new() { ["basin_level_m"] = 1.0 }));
        }

        var state = await feed.NextAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("state", state.Type);
        var entry = Assert.Single(JsonDocument.Parse(state.Data).RootElement.GetProperty("devices").EnumerateArray());
        Assert.Equal(EmbeddedBrokerFixture.Device, entry.GetProperty("device").GetString());
        Assert.Equal(3.14, entry.GetProperty("metrics").GetProperty("basin_level_m").GetDouble());
        Assert.True(entry.GetProperty("metrics").GetProperty("pump1_running").GetBoolean());
        // The replayed reading (historical, older) never reaches the feed.
        Assert.Equal(0L, await mqtt.Db.ScalarAsync<long>("""
            SELECT count(*) FROM live_event e, jsonb_array_elements(e.payload -> 'devices') d
            WHERE e.type = 'state' AND (d -> 'metrics' ->> 'basin_level_m')::float8 = 1.0
            """));
    }
}
