using Paju.Field.Server.Ingest;
using static Paju.Field.Tests.Ingest.BatchSamples;

namespace Paju.Field.Tests.Ingest;

/// <summary>The newest value per (device, metric) of a batch, as latest_metric is moved to it: by (ts, boot, seq), metric by metric.</summary>
public sealed class NewestValuesTests
{
    /// <summary>The readings offered in this order, as one write would take them.</summary>
    private static NewestValues.Columns Of(IEnumerable<Classified.Reading> readings)
    {
        var newest = new NewestValues();
        foreach (var r in readings)
        {
            newest.Offer(r);
        }
        return newest.ToColumns();
    }

    private static Dictionary<(int, string), (double? Number, bool? Flag, long Seq, bool Historical)> Newest(params Classified.Reading[] readings)
    {
        var columns = Of(readings);
        return Enumerable.Range(0, columns.Count)
            .ToDictionary(i => (columns.Device[i], columns.Metric[i]), i => (columns.Number[i], columns.Flag[i], columns.Seq[i], columns.Historical[i]));
    }

    [Fact]
    public void Each_metric_takes_the_newest_reading_that_carries_it()
    {
        var newest = Newest(
            Reading(Pump, 1, 10, At, new() { ["pump1_current_a"] = 110, ["basin_level_m"] = 3.0 }, new() { ["pump1_running"] = true }),
            // Newer, but without the current: the current stays with seq 10.
            Reading(Pump, 1, 11, At.AddSeconds(1), new() { ["basin_level_m"] = 3.1 }, new() { ["pump1_running"] = false }),
            // A replay from before both, sent late: newest of nothing but its own metric.
            Reading(Pump, 1, 3, At.AddMinutes(-10), new() { ["basin_level_m"] = 2.0, ["rain_mm_per_h"] = 12 }, historical: true),
            Reading(Gauge, 1, 5, At, new() { ["basin_level_m"] = 3.5 }));

        Assert.Equal(5, newest.Count);
        Assert.Equal((110.0, null, 10L, false), newest[(7, "pump1_current_a")]);
        Assert.Equal((3.1, null, 11L, false), newest[(7, "basin_level_m")]);
        Assert.Equal((null, false, 11L, false), newest[(7, "pump1_running")]);
        Assert.Equal((12.0, null, 3L, true), newest[(7, "rain_mm_per_h")]);
        Assert.Equal((3.5, null, 5L, false), newest[(4, "basin_level_m")]);
    }

    [Fact]
    public void At_the_same_time_boot_and_then_seq_decide_and_a_tenth_of_a_microsecond_does_not()
    {
        var newest = Newest(
            Reading(Pump, 2, 1, At, new() { ["basin_level_m"] = 2.0 }),
            Reading(Pump, 1, 900, At, new() { ["basin_level_m"] = 1.0 }),
            // 100 ns later, which timestamptz cannot hold: the same time to PostgreSQL, so (boot, seq) decide, as its update compares.
            Reading(Pump, 1, 901, At.AddTicks(1), new() { ["basin_level_m"] = 1.5 }),
            Reading(Gauge, 1, 7, At, new() { ["basin_level_m"] = 4.0 }),
            Reading(Gauge, 1, 8, At, new() { ["basin_level_m"] = 4.1 }),
            // A second copy of seq 7, as a redelivery brings it.
            Reading(Gauge, 1, 7, At, new() { ["basin_level_m"] = 4.0 }));

        Assert.Equal(2.0, newest[(7, "basin_level_m")].Number);
        Assert.Equal(4.1, newest[(4, "basin_level_m")].Number);
    }

    [Fact]
    public void The_rows_come_in_the_order_of_device_then_metric_so_every_batch_locks_them_in_one_order()
    {
        var columns = Of([
            Reading(Pump, 1, 2, At, new() { ["rain_mm_per_h"] = 1, ["basin_level_m"] = 2 }, new() { ["pump1_running"] = true }),
            Reading(Gauge, 1, 9, At, new() { ["inflow_m3_per_h"] = 3, ["basin_level_m"] = 4 }),
            Reading(Pump, 1, 3, At.AddSeconds(1), new() { ["basin_level_m"] = 5, ["Z_m"] = 6 })]);

        Assert.Equal(
            [(4, "basin_level_m"), (4, "inflow_m3_per_h"), (7, "Z_m"), (7, "basin_level_m"), (7, "pump1_running"), (7, "rain_mm_per_h")],
            Enumerable.Range(0, columns.Count).Select(i => (columns.Device[i], columns.Metric[i])));
    }
}
