using Microsoft.Extensions.Hosting;
using Paju.Field.Bridge.Config;

namespace Paju.Field.Bridge;

/// <summary>The bridge as a hosted service (systemd: Type=notify, journal logging).</summary>
public sealed class BridgeService(BridgeConfig config, ILoggerFactory logging, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await new BridgeRuntime(config, logging).RunAsync(stoppingToken);
        }
        catch (ConfigException e)
        {
            logging.CreateLogger("Paju.Field.Bridge").LogCritical("The configuration is not usable:{NewLine}{Problems}", Environment.NewLine, e.Message);
            Environment.ExitCode = 2;
            lifetime.StopApplication();
        }
    }
}
