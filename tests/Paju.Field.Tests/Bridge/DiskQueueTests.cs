using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Queue;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// Store-and-forward, the queue on its own: what is appended comes back in order until it is
/// acknowledged, across reopening, through torn tails and damaged bytes, within its bounds.
/// </summary>
public sealed class DiskQueueTests : IDisposable
{
    private readonly string _root = TempDirectory.Create("paju-queue-");
    private static readonly QueueSettings Settings = new() { GroupCommitMs = 50 };

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Path.Combine(_root, name);

    private static byte[] Payload(int i, int size = 0) =>
        Encoding.UTF8.GetBytes($"telemetry\n{{\"n\":{i},\"pad\":\"{new string((char)('a' + i % 26), size > 0 ? size : 20 + i % 50)}\"}}");

    private static List<QueuedRecord> ReadAll(DiskQueue queue)
    {
        var (head, _, next) = queue.Mark();
        var records = new List<QueuedRecord>();
        while (queue.TryRead(head, next, out var record))
        {
            records.Add(record);
        }
        return records;
    }

    [Fact]
    public void Records_come_back_in_order_until_acknowledged_also_after_reopening()
    {
        using (var queue = DiskQueue.Open(Dir("q"), Settings, NullLogger.Instance))
        {
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(i + 1, queue.Append(Payload(i)));
            }
            var all = ReadAll(queue);
            Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), all.Select(r => r.Lsn));
            Assert.Equal(Payload(41), all[41].Payload);
            foreach (var record in all.Where(r => r.Lsn % 3 == 0))
            {
                queue.Acknowledge(record.Lsn);
            }
            Assert.Equal(67, queue.State().Pending);
        }
        using (var reopened = DiskQueue.Open(Dir("q"), Settings, NullLogger.Instance))
        {
            var left = ReadAll(reopened);
            Assert.Equal(Enumerable.Range(1, 100).Where(i => i % 3 != 0).Select(i => (long)i), left.Select(r => r.Lsn));
            Assert.Equal(67, reopened.State().Pending);
            Assert.Equal(101, reopened.Append(Payload(100)));   // numbering goes on
        }
    }

    [Fact]
    public void Fully_acknowledged_segments_are_deleted_and_the_numbering_survives_an_empty_queue()
    {
        using (var queue = DiskQueue.Open(Dir("q"), Settings, NullLogger.Instance, segmentBytes: 4096))
        {
            for (var i = 0; i < 500; i++)
            {
                queue.Append(Payload(i));
            }
            Assert.True(queue.State().Segments > 5);
            foreach (var record in ReadAll(queue))
            {
                queue.Acknowledge(record.Lsn);
            }
            queue.Commit();
            Assert.Equal(0, queue.State().Pending);
            Assert.Single(Directory.GetFiles(Dir("q"), "*.seg"));
        }
        using var reopened = DiskQueue.Open(Dir("q"), Settings, NullLogger.Instance, segmentBytes: 4096);
        Assert.Empty(ReadAll(reopened));
        Assert.Equal(501, reopened.Append(Payload(500)));
    }

    [Fact]
    public void A_second_process_cannot_open_the_same_queue()
    {
        using var queue = DiskQueue.Open(Dir("q"), Settings, NullLogger.Instance);
        var e = Assert.Throws<IOException>(() => DiskQueue.Open(Dir("q"), Settings, NullLogger.Instance));
        Assert.Contains("in use", e.Message);
    }

    /// <summary>
    /// A power cut may leave any prefix of the file. For many cut points (every record boundary and
    /// its neighbours, and random offsets), reopening keeps exactly the records wholly before the cut,
    /// with their bytes intact, and appends after them cleanly.
    /// </summary>
    [Fact]
    public void A_torn_tail_loses_only_the_incomplete_last_record()
    {
        const int count = 120;
        var source = Dir("source");
        var boundaries = new List<long> { 0 };
        using (var queue = DiskQueue.Open(source, Settings, NullLogger.Instance))
        {
            for (var i = 0; i < count; i++)
            {
                queue.Append(Payload(i));
                boundaries.Add(boundaries[^1] + RecordFormat.HeaderSize + Payload(i).Length);
            }
        }
        var segment = Directory.GetFiles(source, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        Assert.Equal(boundaries[^1], bytes.Length);

        var random = new Random(20261125);
        var cuts = boundaries.SelectMany(b => new[] { b - 1, b, b + 1, b + 5, b + RecordFormat.HeaderSize })
            .Concat(Enumerable.Range(0, 300).Select(_ => (long)random.Next(bytes.Length)))
            .Where(c => c >= 0 && c <= bytes.Length).Distinct().ToList();
        Assert.True(cuts.Count > 600);
        foreach (var cut in cuts)
        {
            var trial = Dir($"cut-{cut}");
            Directory.CreateDirectory(trial);
            File.WriteAllBytes(Path.Combine(trial, Path.GetFileName(segment)), bytes[..(int)cut]);
            var whole = boundaries.Count(b => b <= cut) - 1;
            using (var queue = DiskQueue.Open(trial, Settings, NullLogger.Instance))
            {
                var records = ReadAll(queue);
                Assert.Equal(whole, records.Count);
                for (var i = 0; i < records.Count; i++)
                {
                    Assert.Equal(i + 1, records[i].Lsn);
                    Assert.Equal(Payload(i), records[i].Payload);
                }
                Assert.Equal(whole + 1, queue.Append(Payload(999)));
            }
            using (var again = DiskQueue.Open(trial, Settings, NullLogger.Instance))
            {
                var records = ReadAll(again);
                Assert.Equal(whole + 1, records.Count);
                Assert.Equal(Payload(999), records[^1].Payload);
            }
            Directory.Delete(trial, recursive: true);
        }
    }

    [Fact]
    public void A_damaged_record_in_the_middle_costs_only_itself_and_is_never_handed_out()
    {
        var source = Dir("source");
        var offsets = new List<long> { 0 };
        using (var queue = DiskQueue.Open(source, Settings, NullLogger.Instance))
        {
            for (var i = 0; i < 50; i++)
            {
                queue.Append(Payload(i));
                offsets.Add(offsets[^1] + RecordFormat.HeaderSize + Payload(i).Length);
            }
        }
        var segment = Directory.GetFiles(source, "*.seg").Single();
        var random = new Random(7);
        for (var trial = 0; trial < 100; trial++)
        {
            var bytes = File.ReadAllBytes(segment);
            var victim = random.Next(1, 49);
            var at = offsets[victim] + random.Next((int)(offsets[victim + 1] - offsets[victim]));
            bytes[at] ^= (byte)(1 << random.Next(8));
            var dir = Dir($"flip-{trial}");
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, Path.GetFileName(segment)), bytes);
            using (var queue = DiskQueue.Open(dir, Settings, NullLogger.Instance))
            {
                var records = ReadAll(queue);
                Assert.Equal(Enumerable.Range(1, 50).Where(n => n != victim + 1).Select(n => (long)n), records.Select(r => r.Lsn));
                Assert.All(records, r => Assert.Equal(Payload((int)r.Lsn - 1), r.Payload));
                Assert.True(queue.RecoveredDamagedBytes > 0);
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_torn_acknowledgement_log_at_worst_sends_a_reading_again()
    {
        var dir = Dir("q");
        using (var queue = DiskQueue.Open(dir, Settings, NullLogger.Instance))
        {
            for (var i = 0; i < 40; i++)
            {
                queue.Append(Payload(i));
                queue.Acknowledge(i + 1);
                if (i % 4 == 3)
                {
                    queue.Commit();   // one acknowledgement entry per commit
                }
            }
            for (var i = 40; i < 60; i++)
            {
                queue.Append(Payload(i));
            }
        }
        var acks = File.ReadAllBytes(Path.Combine(dir, "acks"));
        var random = new Random(3);
        for (var trial = 0; trial < 50; trial++)
        {
            var copy = Dir($"acks-{trial}");
            CopyDirectory(dir, copy);
            File.WriteAllBytes(Path.Combine(copy, "acks"), acks[..random.Next(acks.Length + 1)]);
            using var queue = DiskQueue.Open(copy, Settings, NullLogger.Instance);
            var left = ReadAll(queue).Select(r => r.Lsn).ToList();
            // The never-acknowledged 41..60 are always there; some acknowledged ones may come back.
            Assert.Equal(Enumerable.Range(41, 20).Select(n => (long)n), left.Where(l => l > 40));
            Assert.Equal(left.Order(), left);
        }
    }

    [Fact]
    public void The_size_bound_drops_the_oldest_and_counts_them()
    {
        var settings = Settings with { MaxMegabytes = 1 };
        using var queue = DiskQueue.Open(Dir("q"), settings, NullLogger.Instance, segmentBytes: 64 * 1024);
        const int count = 400;
        for (var i = 0; i < count; i++)
        {
            queue.Append(Payload(i, 8 * 1024));
        }
        var state = queue.State();
        Assert.True(state.Bytes <= 1024 * 1024, $"{state.Bytes} bytes held");
        Assert.True(state.Dropped > 0);
        Assert.Equal(count, state.Pending + state.Dropped);
        var left = ReadAll(queue);
        Assert.Equal(count, left[^1].Lsn);
        Assert.Equal(Enumerable.Range((int)(count - left.Count + 1), left.Count).Select(n => (long)n), left.Select(r => r.Lsn));
    }

    [Fact]
    public void Readings_past_the_age_bound_are_dropped_unsent_and_counted()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-08-10T00:00:00Z"));
        var settings = Settings with { MaxAgeHours = 24 };
        using var queue = DiskQueue.Open(Dir("q"), settings, NullLogger.Instance, clock, segmentBytes: 4096);
        for (var i = 0; i < 100; i++)
        {
            queue.Append(Payload(i));
            clock.Advance(TimeSpan.FromMinutes(30));   // 50 h in all
        }
        var left = ReadAll(queue);
        Assert.All(left, r => Assert.True(r.AppendedAt >= clock.GetUtcNow().AddHours(-24)));
        Assert.Equal(100, left.Count + queue.State().Dropped);
        Assert.Equal(100, left[^1].Lsn);
        Assert.InRange(left.Count, 47, 49);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from).Where(f => !f.EndsWith("lock", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}

/// <summary>A clock a test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
