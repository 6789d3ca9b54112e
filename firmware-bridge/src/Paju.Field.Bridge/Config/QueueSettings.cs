namespace Paju.Field.Bridge.Config;

/// <summary>When the queue's appended records reach the disk (see docs in firmware-bridge/README.md).</summary>
public enum FsyncPolicy
{
    /// <summary>fsync every <see cref="QueueSettings.GroupCommitMs"/>: a power cut loses at most that window.</summary>
    Group,

    /// <summary>fsync after every record: nothing acknowledged by the queue is ever lost, at a cost per reading.</summary>
    EveryRecord,

    /// <summary>Leave it to the kernel's write-back (about 30 s): survives a crash of the bridge, not a power cut.</summary>
    Os,
}

/// <summary>
/// The on-disk queue every reading passes through before its uplink: one directory per device and
/// uplink, removed from only after the broker's PUBACK. Bounds are per device and uplink, so one
/// chatty controller cannot push another's readings out.
/// </summary>
public sealed record QueueSettings
{
    public string Directory { get; init; } = "/var/lib/paju-bridge/queue";

    /// <summary>Disk held per device and uplink; past it the oldest readings are dropped (and counted).</summary>
    public int MaxMegabytes { get; init; } = 1024;

    /// <summary>Readings older than this are dropped unsent (and counted): a week-old level is no longer news.</summary>
    public int MaxAgeHours { get; init; } = 168;

    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Group;

    public int GroupCommitMs { get; init; } = 100;

    /// <summary>Replayed readings per second per device and uplink, beside the live ones (0 = unpaced).</summary>
    public int ReplayPerSecond { get; init; } = 50;
}
