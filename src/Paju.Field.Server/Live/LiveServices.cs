using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Live;

public static class LiveServices
{
    /// <summary>The wake-up on NOTIFY live_event and the log's retention.</summary>
    public static IServiceCollection AddLive(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPajuOptions<LiveOptions>(configuration);
        services.AddSingleton<LiveFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveFeed>());
        services.AddSingleton<LiveHub>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveHub>());
        services.AddSingleton<LiveRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveRetention>());
        return services;
    }
}
