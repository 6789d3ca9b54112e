namespace Paju.Field.Server.Accounts;

/// <summary>
/// A form post must come from our own pages (cross-site request forgery). Browsers say where a request
/// came from in Sec-Fetch-Site (all current ones) or Origin; a client that sends neither is not a
/// browser being tricked, so it is let through.
/// </summary>
public static class SameOrigin
{
    public static bool Allows(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is "same-origin" or "none";
        }
        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0
            || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }
}
