using System.Globalization;
using Paju.Field.Bridge.Queue;
using Paju.Field.Telemetry;

namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// One controller's readings: numbered once (boot, seq) and handed to each of its uplinks' queues.
/// The numbers are the de-duplication key the server stores by, so a reading replayed through any
/// path, or twice, is stored once.
/// </summary>
public sealed class DeviceOutlet(string device, long boot, IReadOnlyList<DevicePublisher> publishers)
{
    private long _seq;

    public string Device => device;

    public long Boot => boot;

    public IReadOnlyList<DevicePublisher> Publishers => publishers;

    public void Offer(string channel, DateTimeOffset ts, Dictionary<string, double> numbers, Dictionary<string, bool> flags)
    {
        var reading = new TelemetryReading(device, boot, Interlocked.Increment(ref _seq) - 1, ts, false, numbers, flags);
        var record = DevicePublisher.Record(channel, reading);
        foreach (var publisher in publishers)
        {
            publisher.Enqueue(record);
        }
    }

    private long _checkInSeq;

    /// <summary>
    /// A tag read by one of the gateway's readers: numbered (boot, seq) like a reading — its own sequence, since the server
    /// keeps check-ins apart from readings — and queued on the <c>checkin</c> channel with the same acknowledgement and
    /// replay rules.
    /// </summary>
    public CheckIn OfferCheckIn(DateTimeOffset ts, string? uid, string? url, string reader, string? person, CheckInPosition? position)
    {
        var checkIn = new CheckIn(device, boot, Interlocked.Increment(ref _checkInSeq) - 1, ts, uid, url, reader, person, position, false);
        var record = System.Text.Encoding.UTF8.GetBytes(TelemetryTopic.Checkin + "\n" + checkIn.ToJson());
        foreach (var publisher in publishers)
        {
            publisher.Enqueue(record);
        }
        return checkIn;
    }

    /// <summary>
    /// This run's boot number: the Unix time, but always above the last one recorded in
    /// <paramref name="file"/>, so a restart within the same second (or after the clock stepped
    /// back) never reuses a (boot, seq) key of readings still queued.
    /// </summary>
    public static long NextBoot(string file, DateTimeOffset now)
    {
        long last = 0;
        if (File.Exists(file) && long.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var read))
        {
            last = read;
        }
        var boot = Math.Max(now.ToUnixTimeSeconds(), last + 1);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        DurableFile.Replace(file, System.Text.Encoding.ASCII.GetBytes(boot.ToString(CultureInfo.InvariantCulture)), sync: true);
        return boot;
    }
}
