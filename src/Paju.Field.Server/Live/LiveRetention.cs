using Npgsql;

namespace Paju.Field.Server.Live;

/// <summary>
/// Keeps the live_event log to a window (Paju:Live:RetentionHours, default 6): long enough for any
/// reconnect, short enough that a storm's state events do not pile up. Alarm history itself lives
/// in the alarm tables and the audit log, not here. The highest removed id is recorded so that a
/// client resuming from before the window is told to reload (see LiveEndpoints).
/// </summary>
public sealed class LiveRetention(NpgsqlDataSource db, LiveOptions options, ILogger<LiveRetention> log) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(5);

    public TimeSpan Window => TimeSpan.FromHours(options.RetentionHours);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        do
        {
            try
            {
                var purged = await PurgeAsync(DateTimeOffset.UtcNow - Window, stoppingToken);
                if (purged > 0)
                {
                    log.LogInformation("Live feed: removed {Count} events older than {Hours} h", purged, Window.TotalHours);
                }
            }
            catch (NpgsqlException e)
            {
                log.LogWarning("Live feed retention failed: {Reason}; next try in {Minutes} min", e.Message, Every.TotalMinutes);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Removes events before <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<long> PurgeAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            WITH gone AS (DELETE FROM live_event WHERE at < $1 RETURNING id),
                 horizon AS (UPDATE live_event_horizon SET purged_through = greatest(purged_through, (SELECT max(id) FROM gone))
                             WHERE EXISTS (SELECT 1 FROM gone))
            SELECT count(*) FROM gone
            """);
        cmd.Parameters.Add(new() { Value = cutoff });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
