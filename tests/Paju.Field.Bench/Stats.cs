using System.Diagnostics;

namespace Paju.Field.Bench;

/// <summary>Latency samples of one operation, with nearest-rank percentiles.</summary>
public sealed class Samples(string name)
{
    private readonly List<double> _ms = [];

    public string Name { get; } = name;

    public int Count => _ms.Count;

    public IReadOnlyList<double> Values => _ms;

    public void Add(double milliseconds) => _ms.Add(milliseconds);

    public double Percentile(double p)
    {
        var sorted = _ms.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <param name="prepare">Runs before each operation, outside the timing.</param>
    public static async Task<Samples> MeasureAsync(string name, int warmup, int iterations, Func<Task> operation, Func<Task>? prepare = null)
    {
        for (var i = 0; i < warmup; i++)
        {
            if (prepare is not null)
            {
                await prepare();
            }
            await operation();
        }
        var samples = new Samples(name);
        for (var i = 0; i < iterations; i++)
        {
            if (prepare is not null)
            {
                await prepare();
            }
            var started = Stopwatch.GetTimestamp();
            await operation();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return samples;
    }
}
