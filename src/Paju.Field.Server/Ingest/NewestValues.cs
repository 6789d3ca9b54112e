using System.Runtime.InteropServices;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// The newest value of each (device, metric) among a batch's readings: what latest_metric may move forward to.
/// Found here, from the readings already parsed, rather than by PostgreSQL expanding every reading's metrics
/// (jsonb_each) and sorting them all (six rows per reading, a text sort): that took a fifth of the database's time
/// per batch. Newest is by the reading's (ts, boot, seq), ts to the microsecond PostgreSQL keeps, as the update's
/// own comparison with the stored value is.
/// </summary>
public static class NewestValues
{
    /// <summary>One row per (device, metric): a number or a state, and the reading it came from.</summary>
    public sealed record Columns(int[] Device, string[] Metric, double?[] Number, bool?[] Flag, DateTimeOffset[] Ts, DateTimeOffset[] ReceivedAt,
        long[] Boot, long[] Seq, bool[] Historical)
    {
        public int Count => Device.Length;

        public object[] All => [Device, Metric, Number, Flag, Ts, ReceivedAt, Boot, Seq, Historical];
    }

    public static Columns Of(IEnumerable<Classified.Reading> readings)
    {
        var newest = new Dictionary<(int Device, string Metric), Classified.Reading>();
        foreach (var r in readings)
        {
            foreach (var name in r.Value.Numbers.Keys)
            {
                Offer(newest, r, name);
            }
            // A name among both (which parsing never gives) is stored as its state, as in the readings' own JSON.
            foreach (var name in r.Value.Flags.Keys)
            {
                Offer(newest, r, name);
            }
        }

        // In order of (device, metric): the rows of latest_metric are then locked in the same order by every batch. Batches
        // that overlap (a `paju ingest` worker writes several at once) and took their rows in arrival order deadlocked.
        var rows = newest.ToArray();
        Array.Sort(rows, (a, b) => a.Key.Device != b.Key.Device ? a.Key.Device.CompareTo(b.Key.Device) : string.CompareOrdinal(a.Key.Metric, b.Key.Metric));
        var n = rows.Length;
        var columns = new Columns(new int[n], new string[n], new double?[n], new bool?[n], new DateTimeOffset[n], new DateTimeOffset[n],
            new long[n], new long[n], new bool[n]);
        var i = 0;
        foreach (var ((device, metric), r) in rows)
        {
            columns.Device[i] = device;
            columns.Metric[i] = metric;
            if (r.Value.Flags.TryGetValue(metric, out var flag))
            {
                columns.Flag[i] = flag;
            }
            else
            {
                columns.Number[i] = r.Value.Numbers[metric];
            }
            columns.Ts[i] = r.Value.Timestamp;
            columns.ReceivedAt[i] = r.Message.ReceivedAt;
            columns.Boot[i] = r.Value.Boot;
            columns.Seq[i] = r.Value.Seq;
            columns.Historical[i] = r.Value.Historical;
            i++;
        }
        return columns;
    }

    /// <summary>A reading replaces the one held for the metric when it is not older (a copy of the same reading changes nothing).</summary>
    private static void Offer(Dictionary<(int, string), Classified.Reading> newest, Classified.Reading reading, string metric)
    {
        ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(newest, (reading.Device.Id, metric), out var exists);
        if (!exists || Order(reading).CompareTo(Order(held!)) >= 0)
        {
            held = reading;
        }
    }

    /// <summary>(ts, boot, seq) as PostgreSQL compares them: timestamptz holds microseconds, a tick is a tenth of one.</summary>
    private static (long Microseconds, long Boot, long Seq) Order(Classified.Reading r) => (r.Value.Timestamp.UtcTicks / 10, r.Value.Boot, r.Value.Seq);
}
