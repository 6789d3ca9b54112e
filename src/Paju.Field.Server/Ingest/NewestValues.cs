using System.Runtime.InteropServices;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// The newest value of each (device, metric) among readings offered to it: what latest_metric may move forward to.
/// Found here, from the readings already parsed, rather than by PostgreSQL expanding every reading's metrics
/// (jsonb_each) and sorting them all (six rows per reading, a text sort): that took a fifth of the database's time
/// per batch. Newest is by the reading's (ts, boot, seq), ts to the microsecond PostgreSQL keeps, as the update's
/// own comparison with the stored value is. Not thread-safe: NewestValuesWriter guards it.
/// </summary>
public sealed class NewestValues
{
    /// <summary>One row per (device, metric): a number or a state, and the reading it came from.</summary>
    public sealed record Columns(int[] Device, string[] Metric, double?[] Number, bool?[] Flag, DateTimeOffset[] Ts, DateTimeOffset[] ReceivedAt,
        long[] Boot, long[] Seq, bool[] Historical)
    {
        public int Count => Device.Length;

        public object[] All => [Device, Metric, Number, Flag, Ts, ReceivedAt, Boot, Seq, Historical];

        /// <summary>Row i as it moved latest_metric forward: its time as PostgreSQL holds it, to the microsecond (Npgsql truncates).</summary>
        public StateEvent.Moved Moved(int i) =>
            new(Device[i], Metric[i], new DateTimeOffset(Microseconds(Ts[i]) * 10, TimeSpan.Zero), Boot[i], Seq[i]);
    }

    // Per device, a short list of its metrics searched in order: a device carries a handful, and comparing a few short
    // names costs less than hashing every (device, name) of a storm (a dictionary of those took a fiftieth of the whole
    // process's time under the ingest bench).
    private readonly Dictionary<int, List<(string Metric, Classified.Reading Reading)>> _byDevice = [];

    /// <summary>(device, metric) pairs held.</summary>
    public int Count { get; private set; }

    /// <summary>Each of the reading's metrics replaces the value held for it unless that came from a newer reading.</summary>
    public void Offer(Classified.Reading r)
    {
        ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(_byDevice, r.Device.Id, out _);
        held ??= new(r.Value.Numbers.Count + r.Value.Flags.Count);
        foreach (var name in r.Value.Numbers.Keys)
        {
            Count += Offer(held, r, name);
        }
        // A name among both (which parsing never gives) is stored as its state, as in the readings' own JSON.
        foreach (var name in r.Value.Flags.Keys)
        {
            Count += Offer(held, r, name);
        }
    }

    /// <summary>Everything the other holds, as if its readings had been offered here.</summary>
    public void Absorb(NewestValues other)
    {
        foreach (var (device, metrics) in other._byDevice)
        {
            ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(_byDevice, device, out _);
            held ??= new(metrics.Count);
            foreach (var (metric, reading) in metrics)
            {
                Count += Offer(held, reading, metric);
            }
        }
    }

    /// <summary>The values of the devices in the order of their ids, split in two halves (for narrowing down a refusal).</summary>
    public (NewestValues First, NewestValues Second) Halves()
    {
        var devices = _byDevice.Keys.Order().ToArray();
        var first = new NewestValues();
        var second = new NewestValues();
        for (var i = 0; i < devices.Length; i++)
        {
            var half = i < devices.Length / 2 ? first : second;
            var metrics = _byDevice[devices[i]];
            half._byDevice[devices[i]] = metrics;
            half.Count += metrics.Count;
        }
        return (first, second);
    }

    /// <summary>The devices held, by id.</summary>
    public IEnumerable<int> Devices => _byDevice.Keys;

    /// <summary>The readings the values came from (one per value: a reading with several newest values comes as often).</summary>
    public IEnumerable<Classified.Reading> Readings => _byDevice.Values.SelectMany(m => m.Select(e => e.Reading));

    public Columns ToColumns()
    {
        // In order of (device, metric): the rows of latest_metric are then locked in the same order by every writer. Writers
        // that overlap (several `paju ingest` workers) and took their rows in arrival order deadlocked.
        var devices = _byDevice.Keys.ToArray();
        Array.Sort(devices);
        var count = Count;
        var columns = new Columns(new int[count], new string[count], new double?[count], new bool?[count], new DateTimeOffset[count],
            new DateTimeOffset[count], new long[count], new long[count], new bool[count]);
        var i = 0;
        foreach (var device in devices)
        {
            var metrics = _byDevice[device];
            metrics.Sort(static (a, b) => string.CompareOrdinal(a.Metric, b.Metric));
            foreach (var (metric, r) in metrics)
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
        }
        return columns;
    }

    /// <summary>
    /// A reading replaces the one held for the metric when it is not older (a copy of the same reading changes nothing);
    /// 1 when the metric is new to the device.
    /// </summary>
    private static int Offer(List<(string Metric, Classified.Reading Reading)> held, Classified.Reading reading, string metric)
    {
        foreach (ref var entry in CollectionsMarshal.AsSpan(held))
        {
            if (string.Equals(entry.Metric, metric, StringComparison.Ordinal))
            {
                if (Order(reading).CompareTo(Order(entry.Reading)) >= 0)
                {
                    entry.Reading = reading;
                }
                return 0;
            }
        }
        held.Add((metric, reading));
        return 1;
    }

    /// <summary>(ts, boot, seq) as PostgreSQL compares them: timestamptz holds microseconds, a tick is a tenth of one.</summary>
    private static (long Microseconds, long Boot, long Seq) Order(Classified.Reading r) => (Microseconds(r.Value.Timestamp), r.Value.Boot, r.Value.Seq);

    /// <summary>A time as timestamptz holds it, cut to the microsecond as Npgsql sends it: the ticks since 0001, in tens.</summary>
    private static long Microseconds(DateTimeOffset t) => t.UtcTicks / 10;
}
