using System.Text;
using Npgsql;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Live;

/// <summary>
/// GET /api/live: Server-Sent Events for signed-in operators — 'state' events (latest values that
/// moved forward) and alarm transitions. Every event's id is its row in the live_event log, in
/// commit order; a client reconnecting with Last-Event-ID (browsers send it by themselves) gets
/// exactly what it missed, or a 'reset' event when that is older than the log keeps. A comment
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

    private static async Task StreamAsync(HttpContext http, NpgsqlDataSource db, LiveFeed feed, LiveOptions options, CancellationToken ct)
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
        var last = long.TryParse(lastText, out var given) ? given : await CurrentIdAsync(db, ct);
        await response.WriteAsync("retry: 2000\n\n", ct);
        if (last < await PurgedThroughAsync(db, ct))
        {
            // What the client missed is partly gone: say so, and carry on from now. The page
            // reloads /api/live/state on 'reset' instead of showing a state with holes in it.
            last = await CurrentIdAsync(db, ct);
            await response.WriteAsync($"id: {last}\nevent: {LiveEventTypes.Reset}\ndata: {{\"reason\":\"이어받을 이벤트가 보존 기간을 지나 삭제되었습니다. 현재 상태를 다시 불러오세요.\",\"snapshot\":\"/api/live/state\"}}\n\n", ct);
        }
        await response.Body.FlushAsync(ct);

        try
        {
            while (!ct.IsCancellationRequested)
            {
                var changed = feed.Changed;
                var sent = 0;
                await using (var cmd = db.CreateCommand($"SELECT id, type, payload::text FROM live_event WHERE id > $1 ORDER BY id LIMIT {PageSize}"))
                {
                    cmd.Parameters.Add(new NpgsqlParameter { Value = last });
                    await using var r = await cmd.ExecuteReaderAsync(ct);
                    var text = new StringBuilder();
                    while (await r.ReadAsync(ct))
                    {
                        last = r.GetInt64(0);
                        text.Append("id: ").Append(last).Append("\nevent: ").Append(r.GetString(1)).Append("\ndata: ").Append(r.GetString(2)).Append("\n\n");
                        sent++;
                    }
                    if (sent > 0)
                    {
                        await response.WriteAsync(text.ToString(), ct);
                        await response.Body.FlushAsync(ct);
                    }
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
        catch (OperationCanceledException)
        {
            // The client went away.
        }
    }

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
