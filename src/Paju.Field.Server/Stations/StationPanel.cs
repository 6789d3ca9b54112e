using System.Text.Json;
using Npgsql;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Stations;

/// <summary>
/// <c>GET /api/stations/{code}</c>: what the control room's station panel shows — the basin or tank with its capacity,
/// its level now with the stored volume and fill from the stage–storage curve (PostGIS's functions, not a copy in
/// JavaScript), the alarm thresholds set on that level, inflow, outflow and rain, each pump's state, and the station's
/// open alarms. Values come from the latest readings of the devices mapped to the station.
/// </summary>
public static class StationPanel
{
    public static void MapStationPanel(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/stations/{code}", ReadAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("배수펌프장 한 곳: 유수지·저류조 수위와 저류량·채움률, 경보 기준, 유입·유출·강우, 펌프별 상태, 열린 경보");

    private static async Task<IResult> ReadAsync(string code, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var station = new NpgsqlCommand("""
            SELECT a.id, a.name, k.station_type, s.id, s.code, s.name, s.kind, coalesce(rb.capacity_m3, st.capacity_m3)
            FROM asset a JOIN pump_station k ON k.asset_id = a.id
            LEFT JOIN LATERAL (SELECT c.* FROM asset c WHERE c.parent_id = a.id AND c.kind IN ('retention_basin', 'storage_tank')
                               ORDER BY c.kind, c.code LIMIT 1) s ON true
            LEFT JOIN retention_basin rb ON rb.asset_id = s.id
            LEFT JOIN storage_tank st ON st.asset_id = s.id
            WHERE a.kind = 'pump_station' AND a.code = $1
            """, conn) { Parameters = { new() { Value = code } } };
        long stationId;
        string name, type;
        (long Id, string Code, string Name, string Kind, double? Capacity)? storage = null;
        await using (var r = await station.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return Results.Problem($"배수펌프장 '{code}'가 없습니다.", title: "펌프장이 없습니다", statusCode: 404);
            }
            (stationId, name, type) = (r.GetInt64(0), r.GetString(1), r.GetString(2));
            if (!r.IsDBNull(3))
            {
                storage = (r.GetInt64(3), r.GetString(4), r.GetString(5), r.GetString(6), r.IsDBNull(7) ? null : (double)r.GetDecimal(7));
            }
        }
        var levelMetric = storage?.Kind == "storage_tank" ? "tank_level_m" : "basin_level_m";

        // The latest reading of every metric of the devices that measure the station.
        var latest = new Dictionary<string, (JsonElement Value, DateTimeOffset At)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT DISTINCT ON (l.metric) l.metric, l.value::text, l.ts FROM latest_metric l JOIN device d ON d.id = l.device
            WHERE d.asset_id = $1 ORDER BY l.metric, l.ts DESC
            """, conn) { Parameters = { new() { Value = stationId } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                latest[r.GetString(0)] = (JsonDocument.Parse(r.GetString(1)).RootElement.Clone(), r.GetFieldValue<DateTimeOffset>(2));
            }
        }
        double? Number(string metric) => latest.TryGetValue(metric, out var v) && v.Value.ValueKind == JsonValueKind.Number ? v.Value.GetDouble() : null;
        bool? Flag(string metric) => latest.TryGetValue(metric, out var v)
            ? v.Value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, JsonValueKind.Number => v.Value.GetDouble() != 0, _ => null }
            : null;

        var level = Number(levelMetric);
        double? volume = null, fill = null;
        if (storage is { } s && level is { } l)
        {
            await using var cmd = new NpgsqlCommand("SELECT stage_volume($1, $2::numeric)::float8, fill_percent($1, $2::numeric)::float8", conn)
            {
                Parameters = { new() { Value = s.Id }, new() { Value = l } },
            };
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            (volume, fill) = (r.IsDBNull(0) ? null : r.GetDouble(0), r.IsDBNull(1) ? null : r.GetDouble(1));
        }

        var thresholds = new List<object>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT r.code, r.kind, r.threshold, r.priority, r.message_ko FROM alarm_rule r JOIN device d ON d.id = r.device
            WHERE d.asset_id = $1 AND r.metric = $2 AND r.enabled AND r.kind IN ('high', 'high_high', 'low') ORDER BY r.threshold
            """, conn) { Parameters = { new() { Value = stationId }, new() { Value = levelMetric } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                thresholds.Add(new { rule = r.GetString(0), kind = r.GetString(1), value = r.GetDouble(2), priority = r.GetInt16(3), message = r.GetString(4) });
            }
        }

        var pumps = new List<object>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT a.code, a.name, p.pump_no FROM asset a JOIN pump p ON p.asset_id = a.id WHERE a.parent_id = $1 ORDER BY p.pump_no
            """, conn) { Parameters = { new() { Value = stationId } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var n = r.GetInt32(2);
                pumps.Add(new
                {
                    code = r.GetString(0), name = r.GetString(1), number = n, running = Flag($"pump{n}_running"), fault = Flag($"pump{n}_fault"),
                    currentA = Number($"pump{n}_current_a"), runH = Number($"pump{n}_run_h"), starts = Number($"pump{n}_starts_count"),
                    startLevelM = Number($"pump{n}_start_level_m"), stopLevelM = Number($"pump{n}_stop_level_m"),
                });
            }
        }

        var alarms = new List<object>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT al.id, al.priority, r.message_ko, al.raised_at, al.acknowledged_at IS NOT NULL, al.shelved_until
            FROM alarm al JOIN alarm_rule r ON r.id = al.rule_id LEFT JOIN asset x ON x.id = r.asset_id
            WHERE al.cleared_at IS NULL AND (r.asset_id = $1 OR x.parent_id = $1)
            ORDER BY al.priority, al.raised_at
            """, conn) { Parameters = { new() { Value = stationId } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                alarms.Add(new { id = r.GetInt64(0), priority = r.GetInt16(1), message = r.GetString(2), raisedAt = r.GetFieldValue<DateTimeOffset>(3),
                    acknowledged = r.GetBoolean(4), shelvedUntil = r.IsDBNull(5) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(5) });
            }
        }

        return Results.Ok(new
        {
            code, name, stationType = type, levelMetric,
            storage = storage is { } st ? new { code = st.Code, name = st.Name, kind = st.Kind, capacityM3 = st.Capacity } : null,
            level = level is null ? null : new { valueM = level, at = latest[levelMetric].At }, volumeM3 = volume, fillPct = fill, thresholds,
            inflowM3PerH = Number("inflow_m3_per_h"), outflowM3PerH = Number("outflow_m3_per_h"), rainMmPerH = Number("rain_mm_per_h"),
            pumps, alarms,
        });
    }
}
