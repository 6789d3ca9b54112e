namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// A token bucket for replayed readings: at most <c>perSecond</c> a second, with a burst of one
/// second's worth, so a day of backlog reaches the broker as a steady trickle beside the live
/// readings rather than as a flood. Zero means unpaced.
/// </summary>
public sealed class ReplayPacer(int perSecond, TimeProvider time)
{
    private double _tokens = Math.Max(1, perSecond);
    private long _last = time.GetTimestamp();

    public void Reset()
    {
        _tokens = Math.Max(1, perSecond);
        _last = time.GetTimestamp();
    }

    /// <summary>Zero when a replayed reading may go now, or how long until one may.</summary>
    public TimeSpan Wait()
    {
        if (perSecond <= 0)
        {
            return TimeSpan.Zero;
        }
        var now = time.GetTimestamp();
        _tokens = Math.Min(perSecond, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * perSecond);
        _last = now;
        return _tokens >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _tokens) / perSecond);
    }

    public void Take()
    {
        if (perSecond > 0)
        {
            _tokens -= 1;
        }
    }
}
