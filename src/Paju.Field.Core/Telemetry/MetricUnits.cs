using System.Buffers;

namespace Paju.Field.Telemetry;

/// <summary>
/// Metric names carry their SI unit as a suffix, and each unit has a physical range a real sensor
/// cannot leave: a reading outside it is a broken sensor or a wrong scale in a register map, and is
/// dead-lettered rather than stored. Names ending in a state word are booleans.
/// </summary>
public static class MetricUnits
{
    public sealed record Unit(string Suffix, string Symbol, double Min, double Max, string Meaning)
    {
        /// <summary>A finite value within the physical range: what the server stores, and all the bridge forwards.</summary>
        public bool Accepts(double value) => double.IsFinite(value) && value >= Min && value <= Max;
    }

    // Longest suffixes first, so "_m3_per_h" is not taken for "_h".
    public static readonly IReadOnlyList<Unit> Numeric =
    [
        new("_m3_per_h", "m³/h", 0, 1_000_000, "flow (유량)"),
        new("_mm_per_h", "mm/h", 0, 500, "rainfall intensity (강우강도)"),
        new("_m_per_h", "m/h", -100, 100, "rate of rise (수위 상승률)"),
        new("_percent", "%", 0, 100, "share"),
        new("_count", "1", 0, 1e12, "a counter (starts, cycles)"),
        new("_m3", "m³", 0, 10_000_000, "volume (저류량)"),
        new("_kw", "kW", 0, 100_000, "power"),
        new("_hz", "Hz", 0, 1_000, "frequency"),
        new("_mm", "mm", 0, 10_000, "depth or accumulated rain (강우량)"),
        new("_a", "A", 0, 10_000, "current (전류)"),
        new("_v", "V", 0, 100_000, "voltage"),
        new("_c", "°C", -60, 200, "temperature"),
        new("_h", "h", 0, 1_000_000, "hours (가동시간)"),
        new("_s", "s", 0, 1e10, "duration"),
        new("_m", "m", -100, 200, "level or height (수위)"),
    ];

    public static readonly IReadOnlyList<string> BooleanSuffixes = ["_running", "_fault", "_open", "_alarm", "_online", "_intrusion", "_power"];

    // These run for every metric of every reading (six per message at tens of thousands of messages a second): indexed
    // loops and ordinal comparison, without the delegates and boxed enumerators of LINQ or a culture's comparison rules.
    public static bool IsBoolean(string metric)
    {
        for (var i = 0; i < BooleanSuffixes.Count; i++)
        {
            if (metric.EndsWith(BooleanSuffixes[i], StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public static Unit? NumericUnitOf(string metric)
    {
        for (var i = 0; i < Numeric.Count; i++)
        {
            if (metric.EndsWith(Numeric[i].Suffix, StringComparison.Ordinal))
            {
                return Numeric[i];
            }
        }
        return null;
    }

    private static readonly SearchValues<char> NameCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_");

    /// <summary>Metric names: lower-case snake case with a unit or state suffix, at most 64 characters.</summary>
    public static bool IsValidName(string metric) =>
        metric.Length is > 2 and <= 64 && metric[0] is >= 'a' and <= 'z' && !metric.AsSpan().ContainsAnyExcept(NameCharacters);
}
