using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Bench;

/// <summary>The real server on a loopback port, as the benchmarks' clients see it.</summary>
public sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<BenchServer> StartAsync(string connectionString, string dataDirectory, bool cacheEnabled = true,
        Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Paju:Http"] = "127.0.0.1:0",
            ["Paju:DataDirectory"] = dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:Paju.Field.Server.Tiles.TileInvalidator"] = "Warning",
            ["Paju:Tiles:CacheEnabled"] = cacheEnabled ? "true" : "false",
            ["Paju:Mqtt:Embedded"] = "false",
            ["Paju:Alarms:EvaluateSeconds"] = "0",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        // Paju__* environment variables reach the server too, for trying a setting under load (Paju__Ingest__ConcurrentBatches=4 …).
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(settings).Build();
        var app = ServerHost.Build(configuration, connectionString);
        await app.StartAsync();
        return new BenchServer(app, new Uri(ServerHost.ListeningAddresses(app).Single()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
