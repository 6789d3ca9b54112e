namespace Paju.Field.Bridge.Readers;

/// <summary>
/// A tag held on a reader is read again and again; only the first read within <see cref="TimeToLive"/> is a check-in
/// (ESPHome's readers suppress repeats the same way). A different tag, or the same tag after the time has passed, is new.
/// </summary>
public sealed class RepeatFilter(TimeSpan timeToLive, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = [];

    public TimeSpan TimeToLive { get; } = timeToLive;

    public long Suppressed { get; private set; }

    /// <returns>True when the read is new and should become a check-in.</returns>
    public bool Admit(string key)
    {
        var now = _time.GetUtcNow();
        // Forget what has expired, so a reader running for months keeps a small table.
        foreach (var old in _lastSeen.Where(kv => now - kv.Value >= TimeToLive).Select(kv => kv.Key).ToList())
        {
            _lastSeen.Remove(old);
        }
        if (_lastSeen.TryGetValue(key, out var seen) && now - seen < TimeToLive)
        {
            _lastSeen[key] = now;   // still held: the window runs from the last read
            Suppressed++;
            return false;
        }
        _lastSeen[key] = now;
        return true;
    }
}
