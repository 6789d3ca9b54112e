using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// Where Kestrel listens: HTTP always (health checks, a proxy in front), HTTPS with HTTP/2 when asked.
/// Phones allow the camera, location, Web NFC and service workers only on a secure origin, and browsers
/// speak HTTP/2 — many live streams over one connection instead of six — only over TLS.
/// </summary>
public static class Listeners
{
    public static void AddListeners(this WebApplicationBuilder builder, PajuOptions options)
    {
        if (options.Https is { Length: > 0 })
        {
            builder.Services.AddSingleton(sp =>
            {
                var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Paju.Https");
                if (options.CertificateFile is { Length: > 0 } cert)
                {
                    return ServerCertificates.FromFiles(cert, options.KeyFile!, log);
                }
                var publicHost = Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var uri) ? uri.Host : null;
                return ServerCertificates.Local(options.DataDirectory, [publicHost ?? ""], log);
            });
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Browsers speak HTTP/2 only over TLS; plain HTTP stays HTTP/1.1 (health checks, a proxy in front).
            kestrel.Listen(ListenEndpoint.Parse(options.Http), listen => listen.Protocols = HttpProtocols.Http1);
            if (options.Https is { Length: > 0 } https)
            {
                var certificates = kestrel.ApplicationServices.GetRequiredService<ServerCertificates>();
                kestrel.Listen(ListenEndpoint.Parse(https), listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(tls => tls.ServerCertificateSelector = (_, _) => certificates.Current);
                });
            }
        });
    }

    /// <summary>
    /// With HTTPS on, plain HTTP answers only /health (load balancers, Docker) and sends everything else to
    /// HTTPS; Strict-Transport-Security once the public address is https.
    /// </summary>
    public static void UseHttpsRules(this WebApplication app, PajuOptions options)
    {
        var https = options.Https is { Length: > 0 };
        var publicHttps = Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var publicBase) && publicBase.Scheme == "https";
        if (!https && !publicHttps)
        {
            return;
        }
        app.Use(async (http, next) =>
        {
            if (http.Request.IsHttps)
            {
                if (publicHttps)
                {
                    http.Response.Headers.StrictTransportSecurity = "max-age=31536000";
                }
                await next(http);
                return;
            }
            if (!https || http.Request.Path.StartsWithSegments("/health"))
            {
                await next(http);
                return;
            }
            var target = publicHttps
                ? $"{publicBase!.GetLeftPart(UriPartial.Authority)}{publicBase.AbsolutePath.TrimEnd('/')}{http.Request.Path}{http.Request.QueryString}"
                : $"https://{http.Request.Host.Host}:{HttpsPort(http)}{http.Request.PathBase}{http.Request.Path}{http.Request.QueryString}";
            http.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
            http.Response.Headers.Location = target;
        });
    }

    /// <summary>The port HTTPS actually bound (a configured port 0 becomes a real one).</summary>
    private static int HttpsPort(HttpContext http)
    {
        var addresses = http.RequestServices.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return addresses.Select(a => new Uri(a.Replace("://+", "://localhost", StringComparison.Ordinal)))
            .FirstOrDefault(u => u.Scheme == "https")?.Port ?? 443;
    }
}
