using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Live;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Live;

/// <summary>
/// One reader of the event log per server hands every event to every client; a client that stops reading
/// is cut off past its buffer with a 'reset', and the others go on as if it were not there.
/// </summary>
public sealed class LiveFanOutTests(TestDatabase db) : IAsyncLifetime, IClassFixture<TestDatabase>
{
    private TestServer _server = null!;
    private string _token = "";

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(db.ConnectionString, new Dictionary<string, string?> { ["Paju:Live:ClientBufferEvents"] = "300" });
        await using var conn = await db.DataSource.OpenConnectionAsync();
        var user = await UserStore.CreateAsync(conn, null, $"fanout.{Guid.NewGuid():N}"[..24], "실시간", Roles.Operator, "operator-password-1", default);
        _token = (await ApiTokens.IssueAsync(conn, null, user.Id, "test", TimeSpan.FromHours(1), default)).Token;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    private HttpClient Client()
    {
        // Each follower on its own connection, as separate screens would be.
        var client = _server.CreateClient(new SocketsHttpHandler());
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return client;
    }

    private async Task AppendAsync(int count, int payloadBytes)
    {
        var filler = new string('가', payloadBytes / 3);
        for (var i = 0; i < count; i++)
        {
            await db.ExecuteAsync("SELECT live_event_append('test.fanout', jsonb_build_object('n', $1::int, 'fill', $2::text))", i, filler);
        }
    }

    [Fact]
    public async Task Every_client_gets_every_event_once_and_a_stalled_one_is_cut_off_without_holding_up_the_rest()
    {
        var hub = _server.Services.GetRequiredService<LiveHub>();
        using var stalledClient = Client();
        using var stalled = await stalledClient.GetAsync("/api/live", HttpCompletionOption.ResponseHeadersRead);   // never read until the end
        var followers = Enumerable.Range(0, 5).Select(_ => Client()).ToList();
        var streams = new List<SseReader>();
        foreach (var follower in followers)
        {
            var response = await follower.GetAsync("/api/live", HttpCompletionOption.ResponseHeadersRead);
            streams.Add(new SseReader(await response.Content.ReadAsStreamAsync()));
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (hub.Clients < 6)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{hub.Clients} of 6 clients joined the hub");
            await Task.Delay(50);
        }

        // 1,200 events of ~30 KB (36 MB): far more than the stalled client's socket buffers (a few MB) and its
        // 300-event buffer hold, while a client that reads stays well within 300 events of the newest.
        const int events = 1200;
        var appending = AppendAsync(events, 30_000);
        var received = await Task.WhenAll(streams.Select(async stream =>
        {
            var ids = new List<long>();
            while (ids.Count < events)
            {
                var e = await stream.NextAsync(TimeSpan.FromSeconds(60));
                Assert.NotEqual(LiveEventTypes.Reset, e.Type);
                ids.Add(e.Id);
            }
            return ids;
        }));
        await appending;

        foreach (var ids in received)
        {
            Assert.Equal(events, ids.Distinct().Count());
            Assert.Equal(ids.Order(), ids);   // in log order
        }
        // The stalled client, reading at last, finds it was cut off and told to reload.
        using var late = new SseReader(await stalled.Content.ReadAsStreamAsync());
        SseReader.Event next;
        do
        {
            next = await late.NextAsync(TimeSpan.FromSeconds(60));
        }
        while (next.Type != LiveEventTypes.Reset);
        Assert.Contains("/api/live/state", next.Data);
        streams.ForEach(s => s.Dispose());
        followers.ForEach(f => f.Dispose());
    }

    [Fact]
    public async Task A_client_resuming_from_an_earlier_id_catches_up_from_the_log_then_follows_the_hub()
    {
        await AppendAsync(5, 10);
        var start = await db.ScalarAsync<long>("SELECT max(id) FROM live_event") - 5;
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live");
        request.Headers.Add("Last-Event-ID", start.ToString());
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var stream = new SseReader(await response.Content.ReadAsStreamAsync());

        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await stream.NextAsync(TimeSpan.FromSeconds(30))).Id);
        }
        await AppendAsync(3, 10);
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await stream.NextAsync(TimeSpan.FromSeconds(30))).Id);
        }
        Assert.Equal(Enumerable.Range(1, 8).Select(i => start + i), ids);
    }
}
