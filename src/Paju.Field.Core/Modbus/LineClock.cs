using System.Diagnostics;

namespace Paju.Field.Modbus;

/// <summary>
/// Waits measured in a few milliseconds, to well under one: the scheduler's sleep is coarse
/// (≥ 1 ms, often more), so the last stretch is spun. Used for the silences between frames and for
/// the simulator's wire times.
/// </summary>
public static class LineClock
{
    private static readonly TimeSpan SpinBelow = TimeSpan.FromMilliseconds(1.5);

    public static long After(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static long After(long timestamp, TimeSpan span) => timestamp + (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static void WaitUntil(long timestamp)
    {
        while (true)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }
            if (remaining > SpinBelow)
            {
                Thread.Sleep(remaining - SpinBelow);
            }
            else
            {
                Thread.SpinWait(64);
            }
        }
    }
}
