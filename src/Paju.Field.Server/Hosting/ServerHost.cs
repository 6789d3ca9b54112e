using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Live;
using Paju.Field.Server.Ogc;
using Paju.Field.Server.Stations;
using Paju.Field.Server.Tiles;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// The web server: read top to bottom, this is everything that runs on a request.
/// The database is already migrated when we get here; this only serves it.
/// </summary>
public static class ServerHost
{
    public static WebApplication Build(IConfiguration configuration, string connectionString)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(ServerHost).Assembly.GetName().Name,
        });
        builder.Configuration.AddConfiguration(configuration);
        var options = configuration.GetSection(PajuOptions.Section).Get<PajuOptions>() ?? new PajuOptions();
        ConsoleLogging.Configure(builder.Logging, options.LogFormat);

        builder.WebHost.UseUrls($"http://{options.Http}");
        builder.Services.AddOptions<PajuOptions>().Bind(builder.Configuration.GetSection(PajuOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(DatabaseSession.CreateDataSource(connectionString));
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.AddSingleton<CountCache>();
        builder.Services.AddSingleton<TileCache>();
        builder.Services.AddSingleton<TileRenderer>();
        builder.Services.AddHostedService<TileInvalidator>();
        AddTelemetry(builder);
        builder.Services.AddSingleton<AlarmEvaluator>();
        builder.Services.AddSingleton(builder.Configuration.GetSection("Paju:Alarms:Escalation").Get<EscalationOptions>() ?? new EscalationOptions());
        builder.Services.AddHttpClient<IAlarmNotifier, WebhookNotifier>(c => c.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton<AlarmEscalator>();
        builder.Services.AddHostedService<AlarmService>();
        builder.Services.AddSingleton<LiveFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveFeed>());
        builder.Services.AddSingleton<LiveRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveRetention>());
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o =>
            // Korean stays Korean and links keep their '&' instead of \uXXXX escapes; responses are JSON, never inlined in HTML.
            o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        builder.Services.AddDataProtection()
            .SetApplicationName("paju-field")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(options.DataDirectory), "keys")));
        builder.Services.Configure<ForwardedHeadersOptions>(o => ConfigureForwardedHeaders(o, options));
        builder.Services.AddPajuAuthentication(options);

        var app = builder.Build();
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapLanding();
        app.MapHealth();
        app.MapAuth();
        app.MapUsers();
        app.MapOgc();
        app.MapTiles();
        app.MapIngest();
        app.MapAlarms();
        app.MapLive();
        app.MapSeries();
        return app;
    }

    /// <summary>Devices, the ingest pipeline and, unless the broker is external, the embedded MQTT broker.</summary>
    private static void AddTelemetry(WebApplicationBuilder builder)
    {
        var mqtt = builder.Configuration.GetSection(MqttOptions.Section).Get<MqttOptions>() ?? new MqttOptions();
        builder.Services.AddIngestPipeline(builder.Configuration, mqtt);
        if (mqtt.Embedded)
        {
            builder.Services.AddSingleton<EmbeddedBroker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }
    }

    /// <summary>The addresses Kestrel actually bound (port 0 becomes a real port).</summary>
    public static IReadOnlyList<string> ListeningAddresses(WebApplication app) =>
        [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    private static void ConfigureForwardedHeaders(ForwardedHeadersOptions o, PajuOptions options)
    {
        o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        // Loopback is trusted by default (a proxy on the same machine); the city's proxies are added by configuration.
        foreach (var proxy in options.KnownProxies)
        {
            o.KnownProxies.Add(IPAddress.Parse(proxy));
        }
        foreach (var network in options.KnownNetworks)
        {
            o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }
    }
}
