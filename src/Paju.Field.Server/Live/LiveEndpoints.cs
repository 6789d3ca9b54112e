using Npgsql;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Live;

/// <summary>
/// GET /api/live: Server-Sent Events for signed-in operators — 'state' events (latest values that
/// moved forward) and alarm transitions. Every event's id is its row in the live_event log, in
/// commit order; a client reconnecting with Last-Event-ID (browsers send it by themselves) gets
/// exactly what it missed, or a 'reset' event when that is older than the log keeps. Live events
/// come from the one <see cref="LiveHub"/> of this process, not from a read per client. A comment
/// line every 15 s keeps proxies from closing an idle stream.
/// GET /api/live/state: the snapshot a page starts from, with the event id to stream on from.
/// </summary>
public static class LiveEndpoints
{
    private const int PageSize = 500;

    public static void MapLive(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/live", StreamAsync).RequireAuthorization(Policies.Operator);
        app.MapGet("/api/live/state", LiveSnapshot.ReadAsync).RequireAuthorization(Policies.Operator);
    }

    private static async Task StreamAsync(HttpContext http, NpgsqlDataSource db, LiveFeed feed, LiveHub hub, LiveOptions options, CancellationToken ct)
    {
        var heartbeat = TimeSpan.FromSeconds(options.HeartbeatSeconds);
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";   // nginx: do not buffer the stream

        var lastText = http.Request.Headers["Last-Event-ID"].ToString();
        if (string.IsNullOrEmpty(lastText))
        {
            lastText = http.Request.Query["lastEventId"].ToString();
        }
        long last;
        var resumed = long.TryParse(lastText, out var given);
        if (resumed)
        {
            last = given;
        }
        else if (options.FanOut == "hub")
        {
            // A fresh client starts from now: the hub knows where now is, no query needed (500 screens may connect at once).
            await hub.Ready.WaitAsync(ct);
            last = hub.Position;
        }
        else
        {
            last = await CurrentIdAsync(db, ct);
        }
        await response.WriteAsync("retry: 2000\n\n", ct);
        if (resumed && last < await PurgedThroughAsync(db, ct))
        {
            // What the client missed is partly gone: say so, and carry on from now. The page
            // reloads /api/live/state on 'reset' instead of showing a state with holes in it.
            last = await CurrentIdAsync(db, ct);
            await WriteResetAsync(response, last, "이어받을 이벤트가 보존 기간을 지나 삭제되었습니다. 현재 상태를 다시 불러오세요.", ct);
        }
        await response.Body.FlushAsync(ct);
        try
        {
            if (options.FanOut == "per-client")
            {
                await StreamPerClientAsync(response, db, feed, heartbeat, last, ct);
            }
            else
            {
                await StreamFromHubAsync(response, db, hub, heartbeat, last, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
    }

    /// <summary>
    /// Joins the hub, catches up from the log to where the hub was when it joined, then writes what the hub
    /// hands over. Cut off for falling a whole buffer behind, the client gets 'reset' and carries on from now.
    /// </summary>
    private static async Task StreamFromHubAsync(HttpResponse response, NpgsqlDataSource db, LiveHub hub, TimeSpan heartbeat, long last, CancellationToken ct)
    {
        var subscriber = await hub.JoinAsync(ct);
        try
        {
            last = await CatchUpAsync(response, db, last, subscriber.From, ct);
            while (!ct.IsCancellationRequested)
            {
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
                quiet.CancelAfter(heartbeat);
                bool more;
                try
                {
                    more = await subscriber.Events.WaitToReadAsync(quiet.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await response.WriteAsync(": heartbeat\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    continue;
                }
                if (!more)
                {
                    // Fell a whole buffer behind: start again from now, and tell the page to reload its state.
                    subscriber.Dispose();
                    subscriber = await hub.JoinAsync(ct);
                    last = subscriber.From;
                    await WriteResetAsync(response, last, "화면이 실시간 이벤트를 따라가지 못해 건너뛰었습니다. 현재 상태를 다시 불러오세요.", ct);
                    await response.Body.FlushAsync(ct);
                    continue;
                }
                // Everything waiting goes out in one write and one flush.
                while (subscriber.Events.TryRead(out var e))
                {
                    if (e.Id > last)
                    {
                        await response.Body.WriteAsync(e.Sse, ct);
                        last = e.Id;
                    }
                }
                await response.Body.FlushAsync(ct);
            }
        }
        finally
        {
            subscriber.Dispose();
        }
    }

    /// <summary>Events after <paramref name="last"/> up to <paramref name="until"/>, from the log itself (a reconnect's gap).</summary>
    private static async Task<long> CatchUpAsync(HttpResponse response, NpgsqlDataSource db, long last, long until, CancellationToken ct)
    {
        while (last < until)
        {
            var sent = 0;
            await using (var cmd = db.CreateCommand($"SELECT id, type, payload::text FROM live_event WHERE id > $1 AND id <= $2 ORDER BY id LIMIT {PageSize}"))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = last });
                cmd.Parameters.Add(new NpgsqlParameter { Value = until });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    last = r.GetInt64(0);
                    await response.Body.WriteAsync(LiveEvent.Of(last, r.GetString(1), r.GetString(2)).Sse, ct);
                    sent++;
                }
            }
            await response.Body.FlushAsync(ct);
            if (sent < PageSize)
            {
                break;
            }
        }
        return Math.Max(last, until);
    }

    /// <summary>The former design, each client reading the log itself: kept only to be measured against the hub.</summary>
    private static async Task StreamPerClientAsync(HttpResponse response, NpgsqlDataSource db, LiveFeed feed, TimeSpan heartbeat, long last, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var changed = feed.Changed;
            var sent = 0;
            await using (var cmd = db.CreateCommand($"SELECT id, type, payload::text FROM live_event WHERE id > $1 ORDER BY id LIMIT {PageSize}"))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = last });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    last = r.GetInt64(0);
                    await response.Body.WriteAsync(LiveEvent.Of(last, r.GetString(1), r.GetString(2)).Sse, ct);
                    sent++;
                }
            }
            if (sent > 0)
            {
                await response.Body.FlushAsync(ct);
            }
            if (sent == PageSize)
            {
                continue;   // more waiting: keep reading
            }
            var woke = await Task.WhenAny(changed, Task.Delay(heartbeat, ct));
            if (woke != changed)
            {
                await response.WriteAsync(": heartbeat\n\n", ct);
                await response.Body.FlushAsync(ct);
            }
        }
    }

    private static Task WriteResetAsync(HttpResponse response, long id, string reason, CancellationToken ct) =>
        response.WriteAsync($"id: {id}\nevent: {LiveEventTypes.Reset}\ndata: {{\"reason\":\"{reason}\",\"snapshot\":\"/api/live/state\"}}\n\n", ct);

    internal static async Task<long> CurrentIdAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT greatest(coalesce(max(id), 0), (SELECT purged_through FROM live_event_horizon)) FROM live_event");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<long> PurgedThroughAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT purged_through FROM live_event_horizon");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
