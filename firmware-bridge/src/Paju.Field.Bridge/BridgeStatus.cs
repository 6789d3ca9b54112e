using System.Text.Json;
using Paju.Field.Bridge.Polling;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Bridge.Queue;

namespace Paju.Field.Bridge;

/// <summary>What `paju-bridge status` shows: written by the running bridge every second, atomically.</summary>
public sealed record BridgeStatus(DateTimeOffset WrittenAt, int ProcessId, IReadOnlyList<BridgeStatus.LineState> Lines, IReadOnlyList<BridgeStatus.DeviceState> Devices,
    IReadOnlyList<BridgeStatus.ReaderState>? Readers = null)
{
    /// <summary>A fixed NFC or QR reader: its line, what it read and suppressed, what went wrong, and its device's uplinks.</summary>
    public sealed record ReaderState(string Name, string Kind, string Serial, string Device, bool Open, long Reads, long CheckIns, long Suppressed,
        DateTimeOffset? LastReadAt, IReadOnlyDictionary<string, long> Errors, string? LastError, DateTimeOffset? LastErrorAt, IReadOnlyList<UplinkState> Uplinks);

    public sealed record LineState(string Name, string Serial, bool Open, string? OpenError, long Cycles, double LastCycleMs, DateTimeOffset? LastCycleAt, int PollIntervalMs);

    public sealed record DeviceState(string Device, string Site, int Slave, string Line, bool Online, DateTimeOffset? LastGoodPoll,
        long GoodPolls, long FailedPolls, int ConsecutiveFailures, IReadOnlyDictionary<string, long> Faults, long RejectedValues,
        string? LastError, DateTimeOffset? LastErrorAt, long Boot, IReadOnlyList<UplinkState> Uplinks);

    /// <summary>One uplink of a device: its connection and its queue. Dropped counts readings a size or age bound pushed out unsent.</summary>
    public sealed record UplinkState(string Name, string Endpoint, bool Connected, string? Error, long Pending, long QueueBytes,
        DateTimeOffset? OldestPendingAt, bool Replaying, long Published, long Replayed, long Dropped, long Refused, long Unqueued,
        long LastLsn, long CommittedLsn);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static BridgeStatus Capture(IReadOnlyList<LinePoller> pollers, IReadOnlyDictionary<string, DeviceOutlet> outlets,
        IReadOnlyList<Readers.FixedReader>? readers = null) => new(
        DateTimeOffset.UtcNow,
        Environment.ProcessId,
        [.. pollers.Select(p => new LineState(p.Line.Name, p.Line.Serial.ToString(), p.Open, p.OpenError, p.Cycles, Math.Round(p.LastCycleMs, 2), p.LastCycleAt, p.Line.PollIntervalMs))],
        [.. pollers.SelectMany(p => p.Slaves.Select(s =>
        {
            var h = s.Health.Read();
            var outlet = outlets[s.Slave.Device];
            return new DeviceState(s.Slave.Device, s.Slave.Site, s.Slave.Id, p.Line.Name, h.Online, h.LastGoodPoll, h.GoodPolls, h.FailedPolls,
                h.ConsecutiveFailures, h.Faults.ToDictionary(f => JsonNamingPolicy.KebabCaseLower.ConvertName(f.Key.ToString()), f => f.Value),
                h.RejectedValues, h.LastError, h.LastErrorAt, outlet.Boot, [.. outlet.Publishers.Select(Uplink)]);
        }))],
        [.. (readers ?? []).Select(r => new ReaderState(r.Config.Name, JsonNamingPolicy.KebabCaseLower.ConvertName(r.Config.Kind.ToString()),
            r.Config.Serial.ToString(), r.Config.Device, r.Health.Open, r.Health.Reads, r.Health.CheckIns, r.Health.Suppressed, r.Health.LastReadAt,
            r.Health.Errors, r.Health.LastError, r.Health.LastErrorAt, [.. outlets[r.Config.Device].Publishers.Select(Uplink)]))]);

    internal static UplinkState Uplink(DevicePublisher p)
    {
        var q = p.Queue.State();
        return new UplinkState(p.Uplink.Name, p.Uplink.Endpoint, p.Connected, p.LastError, q.Pending, q.Bytes, q.OldestPendingAt, p.Replaying,
            p.Published, p.Replayed, q.Dropped, p.Refused, p.Unqueued, q.LastLsn, q.CommittedLsn);
    }

    /// <summary>Write to a temporary file and rename: a reader never sees half a file.</summary>
    public void WriteTo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        DurableFile.Replace(path, JsonSerializer.SerializeToUtf8Bytes(this, Json), sync: false);
    }

    public static BridgeStatus Read(string path) =>
        JsonSerializer.Deserialize<BridgeStatus>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty");
}
