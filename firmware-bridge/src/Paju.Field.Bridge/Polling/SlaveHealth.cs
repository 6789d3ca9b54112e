using Paju.Field.Bridge.Modbus;

namespace Paju.Field.Bridge.Polling;

/// <summary>
/// How one slave is doing: the last good poll, faults by kind, and the last error with its hex dump.
/// Published as the device's state and written to the status file.
/// </summary>
public sealed class SlaveHealth
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ModbusFaultKind, long> _faults = Enum.GetValues<ModbusFaultKind>().ToDictionary(k => k, _ => 0L);

    public long GoodPolls { get; private set; }
    public long FailedPolls { get; private set; }
    public int ConsecutiveFailures { get; private set; }
    public DateTimeOffset? LastGoodPoll { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? LastErrorAt { get; private set; }

    /// <summary>Values a register map turned into something physically impossible (dropped, not published).</summary>
    public long RejectedValues { get; private set; }

    public bool Online
    {
        get
        {
            lock (_lock)
            {
                return LastGoodPoll is not null && ConsecutiveFailures == 0;
            }
        }
    }

    /// <summary>Everything at one instant, for the status file (read by another thread than the poller's).</summary>
    public sealed record Sample(bool Online, DateTimeOffset? LastGoodPoll, long GoodPolls, long FailedPolls, int ConsecutiveFailures,
        IReadOnlyDictionary<ModbusFaultKind, long> Faults, long RejectedValues, string? LastError, DateTimeOffset? LastErrorAt);

    public Sample Read()
    {
        lock (_lock)
        {
            return new Sample(LastGoodPoll is not null && ConsecutiveFailures == 0, LastGoodPoll, GoodPolls, FailedPolls, ConsecutiveFailures,
                new Dictionary<ModbusFaultKind, long>(_faults), RejectedValues, LastError, LastErrorAt);
        }
    }

    public void Fault(ModbusFault fault, DateTimeOffset at)
    {
        lock (_lock)
        {
            _faults[fault.Kind]++;
            LastError = fault.Describe();
            LastErrorAt = at;
        }
    }

    public void PollSucceeded(DateTimeOffset at)
    {
        lock (_lock)
        {
            GoodPolls++;
            ConsecutiveFailures = 0;
            LastGoodPoll = at;
        }
    }

    public void PollFailed()
    {
        lock (_lock)
        {
            FailedPolls++;
            ConsecutiveFailures++;
        }
    }

    public void Rejected(string reason, DateTimeOffset at)
    {
        lock (_lock)
        {
            RejectedValues++;
            LastError = reason;
            LastErrorAt = at;
        }
    }

    public long Count(ModbusFaultKind kind)
    {
        lock (_lock)
        {
            return _faults[kind];
        }
    }

    /// <summary>The health as metrics on the device's state channel (names per PROTOCOL.md).</summary>
    public (Dictionary<string, double> Numbers, Dictionary<string, bool> Flags) AsMetrics(DateTimeOffset now)
    {
        lock (_lock)
        {
            var numbers = new Dictionary<string, double>
            {
                ["modbus_good_polls_count"] = GoodPolls,
                ["modbus_failed_polls_count"] = FailedPolls,
                ["modbus_timeouts_count"] = _faults[ModbusFaultKind.Timeout],
                ["modbus_crc_errors_count"] = _faults[ModbusFaultKind.BadCrc],
                ["modbus_frame_errors_count"] = _faults[ModbusFaultKind.Truncated] + _faults[ModbusFaultKind.Garbage] + _faults[ModbusFaultKind.WrongSlave],
                ["modbus_exceptions_count"] = _faults[ModbusFaultKind.Exception],
                ["modbus_rejected_values_count"] = RejectedValues,
            };
            if (LastGoodPoll is { } good)
            {
                numbers["modbus_last_good_poll_age_s"] = Math.Max(0, Math.Round((now - good).TotalSeconds, 1));
            }
            return (numbers, new Dictionary<string, bool> { ["comms_online"] = Online });
        }
    }
}
