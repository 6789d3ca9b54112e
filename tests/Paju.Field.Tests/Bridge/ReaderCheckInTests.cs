using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Bridge.Queue;
using Paju.Field.Bridge.Readers;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// A reader's tag reads become check-ins the way readings travel: numbered (boot, seq), through the device's on-disk queue,
/// on its <c>checkin</c> channel — queued while the broker is away and replayed flagged historical, none lost — and a tag
/// held on the reader is one check-in, not one per poll.
/// </summary>
public sealed class ReaderCheckInTests : IDisposable
{
    private const string Device = "ulgok-ps1-door";
    private static readonly SlaveConfig Slave = new() { Id = 1, Model = "m", Site = "ulgok-ps1", Device = Device, Secret = "x" };
    private readonly string _dir = TempDirectory.Create("paju-reader-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Reads_made_while_the_broker_is_away_are_queued_and_arrive_as_check_ins_flagged_historical_none_lost()
    {
        var settings = new QueueSettings { Directory = _dir, ReplayPerSecond = 50 };
        using var queue = DiskQueue.Open(Path.Combine(_dir, Device, "broker"), settings, NullLogger.Instance);
        var port = MqttDevice.FreePort();
        var publisher = new DevicePublisher(Device, new BrokerUplink(Slave, new MqttSettings { Endpoint = $"127.0.0.1:{port}" }, 9), queue, settings, new ListLogger());
        var outlet = new DeviceOutlet(Device, 9, [publisher]);
        var made = new List<CheckIn>();
        for (var i = 0; i < 5; i++)
        {
            made.Add(outlet.OfferCheckIn(DateTimeOffset.UtcNow, "04DE5F1EACC04" + i, $"https://safety.paju.go.kr/t/PG{i}", "door-1", "patrol.kim",
                new CheckInPosition(37.9146, 126.8555, 3)));
        }
        Assert.Equal([0L, 1, 2, 3, 4], made.Select(c => c.Seq));

        await using var broker = await ObservedBroker.StartAsync(port, Device);

        using var stop = new CancellationTokenSource();
        var running = publisher.RunAsync(stop.Token);
        try
        {
            await broker.CheckInsAsync(5);
            // One more while connected: live, not historical.
            outlet.OfferCheckIn(DateTimeOffset.UtcNow, "04958CAA5C5E80", null, "door-1", null, null);
            await broker.CheckInsAsync(6);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
        var all = broker.CheckIns.ToList();
        Assert.All(all, a => Assert.Equal($"paju/v1/ulgok-ps1/{Device}/checkin", a.Topic));
        Assert.Equal([0L, 1, 2, 3, 4, 5], all.Select(a => a.CheckIn.Seq).Order());
        Assert.All(all.Where(a => a.CheckIn.Seq < 5), a => Assert.True(a.CheckIn.Historical));
        Assert.False(all.Single(a => a.CheckIn.Seq == 5).CheckIn.Historical);
        var first = all.Single(a => a.CheckIn.Seq == 0).CheckIn;
        Assert.Equal(("04DE5F1EACC040", "https://safety.paju.go.kr/t/PG0", "door-1", "patrol.kim"), (first.Uid, first.Url, first.Reader, first.Operator));
        Assert.Equal(0, queue.State().Pending);
    }

    [Fact]
    public void A_tag_held_on_the_reader_is_one_check_in_until_it_has_been_away_for_the_time_to_live()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var filter = new RepeatFilter(TimeSpan.FromSeconds(10), clock);
        Assert.True(filter.Admit("04DE5F1EACC040"));
        for (var i = 0; i < 20; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));   // polled every second while it lies on the reader
            Assert.False(filter.Admit("04DE5F1EACC040"));
        }
        Assert.True(filter.Admit("04958CAA5C5E80"));    // another tag is new at once
        clock.Advance(TimeSpan.FromSeconds(11));          // taken away, tapped again later
        Assert.True(filter.Admit("04DE5F1EACC040"));
        Assert.Equal(20, filter.Suppressed);
    }
}
