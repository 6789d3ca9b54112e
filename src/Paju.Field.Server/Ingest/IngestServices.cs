using Microsoft.Extensions.DependencyInjection.Extensions;
using Paju.Field.Server.Devices;
using Paju.Field.Server.Hosting;
using Paju.Field.Server.Tags;

namespace Paju.Field.Server.Ingest;

public static class IngestServices
{
    /// <summary>The ingest pipeline and, unless the broker is external, the embedded MQTT broker that feeds it.</summary>
    public static IServiceCollection AddIngest(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddIngestPipeline(configuration);
        if (configuration.ReadPajuOptions<MqttOptions>().Embedded)
        {
            services.AddSingleton<EmbeddedBroker>();
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }
        return services;
    }

    /// <summary>The pipeline and what it needs: the same in the server (embedded broker) and in `paju ingest` workers.</summary>
    public static IServiceCollection AddIngestPipeline(this IServiceCollection services, IConfiguration configuration,
        AcknowledgementOrder acknowledgements = AcknowledgementOrder.PerDevice)
    {
        services.AddPajuOptions<MqttOptions>(configuration);
        services.AddPajuOptions<IngestOptions>(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DeviceDirectory>();
        services.AddCheckInVerification(configuration);
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<IngestPipeline>(sp, acknowledgements));
        services.AddHostedService(sp => sp.GetRequiredService<IngestPipeline>());
        return services;
    }
}
