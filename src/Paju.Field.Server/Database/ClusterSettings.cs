using System.Globalization;

namespace Paju.Field.Server.Database;

/// <summary>
/// The private cluster's memory, sized for the machine it runs on at every start (so a cluster made on a laptop and
/// moved to a server grows with it). PostgreSQL's own defaults (128 MB of buffers, 4 MB per sort) suit a machine of
/// 2005; these follow the usual rules — a quarter of RAM for buffers, the rest left to the OS cache — within bounds,
/// because the private cluster shares its machine with the server, the broker and, on a laptop, everything else.
/// Parallel query and JIT are left to each session (the server turns both off for its short statements). The planner's
/// costs stay PostgreSQL's own: the server's plans were measured with them, and at random_page_cost 1.1 the planner chose
/// slower plans for the OGC keyset pages and recounts.
/// </summary>
public static class ClusterSettings
{
    private const long MiB = 1024 * 1024;

    /// <summary>The settings for a machine with <paramref name="memoryBytes"/> of RAM, as name and value.</summary>
    public static IReadOnlyList<(string Name, string Value)> For(long memoryBytes)
    {
        var memoryMiB = Math.Max(512, memoryBytes / MiB);
        // A quarter, at least PostgreSQL's default and at most 2 GB: beyond that the OS cache serves as well.
        var sharedBuffers = Math.Clamp(memoryMiB / 4, 128, 2048);
        // What the planner may count on being cached: buffers plus about half of the rest.
        var effectiveCache = sharedBuffers + (memoryMiB - sharedBuffers) / 2;
        return
        [
            ("shared_buffers", Mb(sharedBuffers)),
            ("effective_cache_size", Mb(effectiveCache)),
            // Per sort or hash of one statement: the import's validation joins and the overview's counts stay in memory.
            ("work_mem", Mb(memoryMiB >= 4096 ? 32 : 16)),
            ("maintenance_work_mem", Mb(Math.Clamp(memoryMiB / 16, 64, 1024))),
            // Ingest writes in bursts (a typhoon's readings); fewer, larger checkpoints write each page fewer times.
            ("max_wal_size", "2GB"),
        ];
    }

    /// <summary>The settings as pg_ctl's server options (-c name=value …) for this machine.</summary>
    public static string ServerOptions() =>
        string.Join(' ', For(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes).Select(s => $"-c {s.Name}={s.Value}"));

    private static string Mb(long mib) => mib.ToString(CultureInfo.InvariantCulture) + "MB";
}
