using Npgsql;

namespace Paju.Field.Server.Live;

/// <summary>
/// Wakes the live feed's reader (<see cref="LiveHub"/>) when the live_event log grows (NOTIFY live_event).
/// The reader always reads the log itself, by id, so a missed wake-up delays an event by one heartbeat
/// and never loses it.
/// </summary>
public sealed class LiveFeed(NpgsqlDataSource db, ILogger<LiveFeed> log) : BackgroundService
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next change; take it before reading the log.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    private void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, _) => Signal();
                await using (var listen = new NpgsqlCommand("LISTEN live_event", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                Signal();   // anything written while we were not listening
                while (!stoppingToken.IsCancellationRequested)
                {
                    await conn.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException)
            {
                log.LogWarning("Live feed lost its notification connection ({Reason}); readers fall back to heartbeats; retrying in 2 s", e.Message);
                Signal();
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }
}
