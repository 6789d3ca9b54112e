using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Compliance;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Inspections;
using Paju.Field.Server.Live;
using Paju.Field.Server.Ogc;
using Paju.Field.Server.Stations;
using Paju.Field.Server.Tags;
using Paju.Field.Server.Reports;
using Paju.Field.Server.Tiles;
using Paju.Field.Server.WebApps;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// The web server: read top to bottom, this is everything that runs on a request — one Add and one
/// Map per area. The database is already migrated when we get here; this only serves it.
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
        var options = builder.Configuration.ReadPajuOptions<PajuOptions>();
        ConsoleLogging.Configure(builder.Logging, options.LogFormat);
        builder.AddListeners(options);

        builder.Services.AddHosting(builder.Configuration, options, connectionString);
        builder.Services.AddAccounts(builder.Configuration, options);
        builder.Services.AddOgc();
        builder.Services.AddTiles(builder.Configuration);
        builder.Services.AddIngest(builder.Configuration);
        builder.Services.AddCheckInVerification(builder.Configuration);
        builder.Services.AddPublicPages();
        builder.Services.AddReports();
        builder.Services.AddInspections(builder.Configuration);
        builder.Services.AddCompliance(builder.Configuration);
        builder.Services.AddAlarms(builder.Configuration);
        builder.Services.AddLive(builder.Configuration);
        builder.Services.AddWebApps(builder.Configuration);
        builder.Services.AddApiDocument();
        builder.Services.AddCompression();

        var app = builder.Build();
        app.UseForwardedHeaders();
        app.UseResponseCompression();
        app.UseHttpsRules(options);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseSameOriginCookieWrites();
        app.UseRequestTextCheck();

        app.MapWebApps();
        app.MapHosting();
        app.MapAccounts();
        app.MapOgc();
        app.MapTiles();
        app.MapIngest();
        app.MapTags();
        app.MapReports();
        app.MapInspectionApi();
        app.MapCompliance();
        app.MapAssetPanel();
        Events.EventEndpoints.MapEvents(app);
        Events.EventReports.MapEventReports(app);
        app.MapApiDocument();
        app.MapAlarms();
        app.MapLive();
        app.MapStations();
        Stations.StationPanel.MapStationPanel(app);
        return app;
    }

    /// <summary>The addresses Kestrel actually bound (port 0 becomes a real port).</summary>
    public static IReadOnlyList<string> ListeningAddresses(WebApplication app) =>
        [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
}
