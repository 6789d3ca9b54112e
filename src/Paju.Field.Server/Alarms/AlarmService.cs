using Npgsql;

namespace Paju.Field.Server.Alarms;

/// <summary>
/// Runs the alarm evaluator and the escalator every Paju:Alarms:EvaluateSeconds (default 1; 0 turns
/// both off), each on a loop of its own: escalation waits on an outside gateway with retries and
/// back-off, and must never hold up raising and clearing alarms while that gateway is down.
/// </summary>
public sealed class AlarmService(AlarmEvaluator evaluator, AlarmEscalator escalator, TimeProvider clock, AlarmOptions options, ILogger<AlarmService> log)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.EvaluateSeconds;
        if (seconds <= 0)
        {
            return Task.CompletedTask;
        }
        var period = TimeSpan.FromSeconds(seconds);
        return Task.WhenAll(
            RepeatAsync("evaluation", period, ct => evaluator.EvaluateAsync(clock.GetUtcNow(), ct), stoppingToken),
            RepeatAsync("escalation", period, ct => escalator.EscalateAsync(clock.GetUtcNow(), ct), stoppingToken));
    }

    private async Task RepeatAsync(string what, TimeSpan period, Func<CancellationToken, Task> step, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(period, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await step(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                log.LogWarning("Alarm {What} failed: {Reason}; next try in {Seconds} s", what, e.Message, period.TotalSeconds);
            }
        }
    }
}
