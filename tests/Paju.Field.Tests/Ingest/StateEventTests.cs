using System.Text.Json;
using Paju.Field.Server.Ingest;
using static Paju.Field.Tests.Ingest.BatchSamples;

namespace Paju.Field.Tests.Ingest;

/// <summary>The live feed's state event of a batch, written from the readings: only what moved forward, grouped as the room reads it.</summary>
public sealed class StateEventTests
{
    [Fact]
    public void Moved_metrics_are_grouped_per_device_and_time_with_their_values_from_the_reading_they_came_from()
    {
        var readings = new[]
        {
            Reading(Pump, 1, 10, At, new() { ["pump1_current_a"] = 112.5 }, new() { ["pump1_running"] = true }),
            // The same device and time, another message: it brings a metric of its own.
            Reading(Pump, 1, 11, At, new() { ["basin_level_m"] = 3.42 }, historical: true),
            Reading(Gauge, 1, 5, At.AddSeconds(1), new() { ["basin_level_m"] = 3.5, ["rain_mm_per_h"] = 35 }),
        };
        // What PostgreSQL said moved forward: the gauge's rain did not (a newer value was already stored).
        var moved = new StateEvent.Moved[]
        {
            new(7, "pump1_running", At, 1, 10), new(7, "pump1_current_a", At, 1, 10), new(7, "basin_level_m", At, 1, 11),
            new(4, "basin_level_m", At.AddSeconds(1), 1, 5),
        };

        var devices = JsonDocument.Parse(StateEvent.Json(moved, readings)).RootElement.GetProperty("devices").EnumerateArray().ToList();

        Assert.Equal(["ulgok-basin-lt", "ulgok-ps1-plc"], devices.Select(d => d.GetProperty("device").GetString()));   // by device id
        var gauge = devices[0];
        Assert.Equal(JsonValueKind.Null, gauge.GetProperty("asset").ValueKind);
        Assert.Equal(["basin_level_m"], gauge.GetProperty("metrics").EnumerateObject().Select(m => m.Name));
        Assert.Equal(At.AddSeconds(1), gauge.GetProperty("ts").GetDateTimeOffset());
        var pump = devices[1];
        Assert.Equal("ulgok", pump.GetProperty("site").GetString());
        Assert.Equal("ULGOK-PS1", pump.GetProperty("asset").GetString());
        Assert.Equal(At, pump.GetProperty("ts").GetDateTimeOffset());
        Assert.Equal("2026-08-14T21:30:00.125+00:00", pump.GetProperty("ts").GetString());
        Assert.True(pump.GetProperty("historical").GetBoolean());   // one of its readings was
        var metrics = pump.GetProperty("metrics");
        Assert.Equal(3.42, metrics.GetProperty("basin_level_m").GetDouble());
        Assert.Equal(112.5, metrics.GetProperty("pump1_current_a").GetDouble());
        Assert.True(metrics.GetProperty("pump1_running").GetBoolean());
    }
}
