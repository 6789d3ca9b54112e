using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Paju.Field.Server.Database;

namespace Paju.Field.Server.Hosting;

/// <summary>What every area stands on: the database, the clock, public URLs, JSON, problem details, cookie keys, trusted proxies.</summary>
public static class HostingServices
{
    public static IServiceCollection AddHosting(this IServiceCollection services, IConfiguration configuration, PajuOptions options, string connectionString)
    {
        services.AddPajuOptions<PajuOptions>(configuration);
        // Made by a factory so the container owns it: stopping the server closes its pooled connections.
        services.AddSingleton(_ => DatabaseSession.CreateDataSource(connectionString));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PublicUrls>();
        services.AddProblemDetails();
        // A request that cannot be bound throws, so that UnreadableRequestHandler can say why and keep what was sent.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<UnreadableRequestHandler>();
        services.ConfigureHttpJsonOptions(o =>
            // Korean stays Korean and links keep their '&' instead of \uXXXX escapes; responses are JSON, never inlined in HTML.
            o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        services.AddDataProtection()
            .SetApplicationName("paju-field")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(options.DataDirectory), "keys")));
        services.Configure<ForwardedHeadersOptions>(o => ConfigureForwardedHeaders(o, options));
        return services;
    }

    /// <summary>The landing document and the health check.</summary>
    public static void MapHosting(this IEndpointRouteBuilder app)
    {
        app.MapLanding();
        app.MapHealth();
    }

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
