using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Alarms;

public static class AlarmServices
{
    /// <summary>The evaluator and the escalator, run by <see cref="AlarmService"/> on loops of their own.</summary>
    public static IServiceCollection AddAlarms(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPajuOptions<AlarmOptions>(configuration);
        services.AddPajuOptions<EscalationOptions>(configuration);
        services.AddSingleton<AlarmEvaluator>();
        services.AddHttpClient<IAlarmNotifier, WebhookNotifier>(c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<AlarmEscalator>();
        services.AddHostedService<AlarmService>();
        return services;
    }
}
