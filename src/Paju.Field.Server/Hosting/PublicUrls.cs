using Microsoft.Extensions.Options;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// Builds every absolute link the product emits. Behind the city's reverse proxy the request's
/// own host is an internal name, so PublicBaseUrl (when set) wins; otherwise the request's
/// scheme and host are used, as rewritten by forwarded headers from a trusted proxy.
/// </summary>
public sealed class PublicUrls(IOptions<PajuOptions> options)
{
    public string BaseFor(HttpRequest request)
    {
        var configured = options.Value.PublicBaseUrl;
        return string.IsNullOrWhiteSpace(configured)
            ? $"{request.Scheme}://{request.Host}{request.PathBase}"
            : configured.TrimEnd('/');
    }

    /// <param name="pathAndQuery">Starts with '/', e.g. "/ogc/collections".</param>
    public string Absolute(HttpRequest request, string pathAndQuery) => BaseFor(request) + pathAndQuery;
}
