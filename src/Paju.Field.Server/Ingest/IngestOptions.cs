using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Ingest;

/// <summary>The "Paju:Ingest" section: how telemetry is batched, bounded and kept.</summary>
public sealed class IngestOptions : IPajuOptions
{
    public static string Section => "Paju:Ingest";

    /// <summary>
    /// Messages written in one transaction at most. A batch only fills when messages arrive faster than they are written
    /// (the window below closes first otherwise), so this is the size under a storm: there each device has several
    /// readings in a batch, and its newest values are written once for all of them. Batches of 2000 took about 8 %
    /// more messages a second than batches of 500 on the same machine (./paju bench ingest).
    /// </summary>
    public const int DefaultBatchSize = 2000;

    [Range(1, 100_000)]
    public int BatchSize { get; set; } = DefaultBatchSize;

    [Range(0, 10_000)]
    public int BatchWindowMilliseconds { get; set; } = 5;

    [Range(256, 16 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>How far ahead of the server's clock a device may be.</summary>
    [Range(0, 86_400)]
    public int MaxFutureSkewSeconds { get; set; } = 300;

    /// <summary>How old a (replayed) reading may be.</summary>
    [Range(1, 3650)]
    public int MaxAgeDays { get; set; } = 30;

    [Range(1, 36_500)]
    public int RetentionDays { get; set; } = 400;

    /// <summary>
    /// Batches written at once, each in its own transaction: behind the embedded broker each for its own share of the
    /// devices, in a `paju ingest` worker overlapping from one queue in arrival order (see IngestPipeline's lanes).
    /// </summary>
    [Range(1, 64)]
    public int ConcurrentBatches { get; set; } = 2;

    /// <summary>
    /// The newest value per metric (latest_metric, the live feed's state events) is written at most this often, merged
    /// over the readings committed meanwhile; the first after a quiet spell at once (see NewestValuesWriter).
    /// </summary>
    [Range(0, 60_000)]
    public int NewestValuesIntervalMilliseconds { get; set; } = 250;
}
