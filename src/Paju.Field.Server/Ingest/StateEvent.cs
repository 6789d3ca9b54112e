using System.Globalization;
using System.Text.Json;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// The live feed's 'state' event of one batch: per device and reading time, the metrics whose latest value moved
/// forward — {"devices":[{"device","site","asset","ts","historical","metrics":{…}}]}, by device then time. Written here
/// from the readings the writer already holds rather than assembled by PostgreSQL out of the rows it just wrote: the
/// JSON of a storm's batch cost the database as much as storing the batch.
/// </summary>
public static class StateEvent
{
    /// <summary>A latest value that moved forward: which device and metric, and the reading (ts, boot, seq) it came from.</summary>
    public readonly record struct Moved(int Device, string Metric, DateTimeOffset Ts, long Boot, long Seq);

    public static string Json(IReadOnlyList<Moved> moved, IEnumerable<Classified.Reading> readings)
    {
        var byKey = new Dictionary<(int, long, long), Classified.Reading>();
        foreach (var r in readings)
        {
            byKey[(r.Device.Id, r.Value.Boot, r.Value.Seq)] = r;
        }
        var entries = moved
            .GroupBy(m => (m.Device, m.Ts))
            .Select(g => (Reading: byKey[(g.Key.Device, g.First().Boot, g.First().Seq)], g.Key.Ts, Metrics: g.ToList()))
            .OrderBy(e => e.Reading.Device.DeviceId, StringComparer.Ordinal).ThenBy(e => e.Ts);

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("devices");
            foreach (var (first, ts, metrics) in entries)
            {
                json.WriteStartObject();
                json.WriteString("device", first.Device.DeviceId);
                json.WriteString("site", first.Device.Site);
                // The asset as the device directory knows it (refreshed within half a minute of a change).
                if (first.Device.AssetCode is { } asset)
                {
                    json.WriteString("asset", asset);
                }
                else
                {
                    json.WriteNull("asset");
                }
                json.WriteString("ts", ts.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'+00:00'", CultureInfo.InvariantCulture));
                var historical = false;
                json.WriteStartObject("metrics");
                foreach (var m in metrics.OrderBy(m => m.Metric, StringComparer.Ordinal))
                {
                    // Readings of one device at one time but of different sequence numbers may each bring some metrics.
                    var reading = byKey[(m.Device, m.Boot, m.Seq)];
                    historical |= reading.Value.Historical;
                    if (reading.Value.Numbers.TryGetValue(m.Metric, out var number))
                    {
                        json.WriteNumber(m.Metric, number);
                    }
                    else
                    {
                        json.WriteBoolean(m.Metric, reading.Value.Flags[m.Metric]);
                    }
                }
                json.WriteEndObject();
                json.WriteBoolean("historical", historical);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
