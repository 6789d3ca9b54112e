using Paju.Field.Server.Devices;

namespace Paju.Field.Server.Ingest;

public static class IngestServices
{
    /// <summary>The ingest pipeline and what it needs: the same in the server (embedded broker) and in `paju ingest` workers.</summary>
    public static IServiceCollection AddIngestPipeline(this IServiceCollection services, IConfiguration configuration, MqttOptions mqtt)
    {
        services.AddSingleton(mqtt);
        services.AddSingleton(configuration.GetSection("Paju:Ingest").Get<IngestOptions>() ?? new IngestOptions());
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DeviceDirectory>();
        services.AddSingleton<IngestPipeline>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestPipeline>());
        return services;
    }
}
