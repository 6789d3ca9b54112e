using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Live;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Ingest;

namespace Paju.Field.Tests.Live;

/// <summary>
/// Latest-state changes on the live feed: committed with the newest values, ids in commit order, a
/// snapshot to start from, and a clear 'reset' when a client resumes from before the kept window.
/// </summary>
public sealed class LiveStateTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    [Fact]
    public async Task A_new_reading_arrives_on_the_live_feed_and_in_the_snapshot_and_a_replayed_older_one_does_neither()
    {
        using var client = await OperatorClientAsync("operator.live");
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
        Assert.Equal(EmbeddedBrokerFixture.Site, entry.GetProperty("site").GetString());
        Assert.Equal(3.14, entry.GetProperty("metrics").GetProperty("basin_level_m").GetDouble());
        Assert.False(entry.GetProperty("historical").GetBoolean());

        // The replayed reading (historical, older) never reaches the feed or the state: looked for once both readings' newest
        // values are written.
        await mqtt.NewestValuesWrittenAsync();
        Assert.Equal(0L, await mqtt.Db.ScalarAsync<long>("""
            SELECT count(*) FROM live_event e, json_array_elements(e.payload -> 'devices') d
            WHERE e.type = 'state' AND (d -> 'metrics' ->> 'basin_level_m')::float8 = 1.0
            """));
        var snapshot = JsonDocument.Parse(await client.GetStringAsync("/api/live/state")).RootElement;
        Assert.True(snapshot.GetProperty("lastEventId").GetInt64() >= state.Id);
        var mine = snapshot.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("device").GetString() == EmbeddedBrokerFixture.Device);
        Assert.Equal(3.14, mine.GetProperty("metrics").GetProperty("basin_level_m").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task Feed_ids_follow_commit_order_so_a_tailing_reader_never_skips_an_event()
    {
        // Writers whose transactions overlap and commit out of order: an identity id alone would
        // let a reader see id N+1 before N commits and then skip N forever.
        var start = await mqtt.Db.ScalarAsync<long>("SELECT coalesce(max(id), 0) FROM live_event");
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var i = 0; i < 40; i++)
            {
                await using var conn = await mqtt.Db.DataSource.OpenConnectionAsync();
                await using var tx = await conn.BeginTransactionAsync();
                await using (var cmd = new NpgsqlCommand("SELECT live_event_append('test.order', jsonb_build_object('writer', $1::int, 'n', $2::int))", conn, tx))
                {
                    cmd.Parameters.Add(new() { Value = w });
                    cmd.Parameters.Add(new() { Value = i });
                    await cmd.ExecuteNonQueryAsync();
                }
                await Task.Delay(random.Next(0, 4));
                await tx.CommitAsync();
            }
        })).ToArray();

        var seen = new List<long>();
        var last = start;
        var tail = Task.Run(async () =>
        {
            while (true)
            {
                var done = writers.All(w => w.IsCompleted);
                await using var cmd = mqtt.Db.DataSource.CreateCommand("SELECT id FROM live_event WHERE id > $1 AND type = 'test.order' ORDER BY id");
                cmd.Parameters.Add(new() { Value = last });
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    last = reader.GetInt64(0);
                    seen.Add(last);
                }
                if (done)
                {
                    return;
                }
            }
        });
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(2));
        await tail.WaitAsync(TimeSpan.FromMinutes(2));

        var stored = await mqtt.Db.ScalarAsync<long[]>("SELECT array_agg(id ORDER BY id) FROM live_event WHERE id > $1 AND type = 'test.order'", start);
        Assert.Equal(160, stored.Length);
        Assert.Equal(stored, seen.ToArray());
    }

    [Fact]
    public async Task A_client_resuming_from_before_the_kept_window_is_told_to_reload()
    {
        await mqtt.Db.ExecuteAsync("SELECT live_event_append('test.old', '{}'::jsonb, now() - interval '2 days')");
        var old = await mqtt.Db.ScalarAsync<long>("SELECT max(id) FROM live_event WHERE type = 'test.old'");
        var retention = mqtt.Server.Services.GetRequiredService<LiveRetention>();
        Assert.True(await retention.PurgeAsync(DateTimeOffset.UtcNow - retention.Window, default) >= 1);
        Assert.Equal(0L, await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM live_event WHERE type = 'test.old'"));

        using var client = await OperatorClientAsync("operator.resume");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live");
        request.Headers.Add("Last-Event-ID", (old - 1).ToString());
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var feed = new SseReader(await response.Content.ReadAsStreamAsync());
        var reset = await feed.NextAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("reset", reset.Type);
        Assert.Equal("/api/live/state", JsonDocument.Parse(reset.Data).RootElement.GetProperty("snapshot").GetString());
        Assert.True(reset.Id >= old);
    }

    private async Task<HttpClient> OperatorClientAsync(string login)
    {
        string token;
        await using (var conn = await mqtt.Db.DataSource.OpenConnectionAsync())
        {
            var user = await UserStore.CreateAsync(conn, null, login, "실시간", Roles.Operator, "operator-password-1", default);
            token = (await ApiTokens.IssueAsync(conn, null, user.Id, "test", TimeSpan.FromHours(1), default)).Token;
        }
        var client = mqtt.Server.CreateClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
