using Npgsql;

namespace Paju.Field.Server.Alarms;

/// <summary>Runs the alarm evaluator and the escalator every Paju:Alarms:EvaluateSeconds (default 1; 0 turns it off).</summary>
public sealed class AlarmService(AlarmEvaluator evaluator, AlarmEscalator escalator, TimeProvider clock, IConfiguration configuration, ILogger<AlarmService> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue("Paju:Alarms:EvaluateSeconds", 1.0);
        if (seconds <= 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await evaluator.EvaluateAsync(clock.GetUtcNow(), stoppingToken);
                await escalator.EscalateAsync(clock.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                log.LogWarning("Alarm evaluation failed: {Reason}; next try in {Seconds} s", e.Message, seconds);
            }
        }
    }
}
