using Npgsql;

namespace Paju.Field.Server.Live;

/// <summary>
/// GET /api/live/state: every device's latest values, with the live-feed id they are at least as
/// new as. A page loads this, then opens /api/live with Last-Event-ID = lastEventId; because the
/// id is read before the values and the feed's ids follow commit order, nothing falls between the
/// two (a value may arrive twice, which is harmless: state events carry values, not deltas).
/// </summary>
public static class LiveSnapshot
{
    private const string StateQuery = """
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'device', d.device_id, 'site', d.site, 'asset', a.code, 'online', d.online,
                   'lastSeenAt', d.last_seen_at, 'metrics', coalesce(m.metrics, '{}'::jsonb))
                   ORDER BY d.device_id), '[]'::jsonb)::text
        FROM device d
        LEFT JOIN asset a ON a.id = d.asset_id
        LEFT JOIN LATERAL (
            SELECT jsonb_object_agg(l.metric, jsonb_build_object('value', l.value, 'ts', l.ts, 'historical', l.historical)) AS metrics
            FROM latest_metric l WHERE l.device = d.id
        ) m ON true
        WHERE d.role = 'device' AND d.disabled_at IS NULL
        """;

    public static async Task ReadAsync(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var lastEventId = await LiveEndpoints.CurrentIdAsync(db, ct);
        await using var cmd = db.CreateCommand(StateQuery);
        var devices = (string)(await cmd.ExecuteScalarAsync(ct))!;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync($"{{\"lastEventId\":{lastEventId},\"devices\":{devices}}}", ct);
    }
}
