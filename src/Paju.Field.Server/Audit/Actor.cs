using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace Paju.Field.Server.Audit;

/// <summary>Who made a change and from where, as the audit log records it.</summary>
public sealed record Actor(long? UserId, string Name, string Via, string? RemoteAddress)
{
    /// <summary>The signed-in user of a request (or "anonymous"), with the client address after forwarded headers.</summary>
    public static Actor From(HttpContext http)
    {
        var user = http.User;
        long? id = long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var parsed) ? parsed : null;
        var name = user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "unknown" : "anonymous";
        var via = user.Identity?.AuthenticationType == Accounts.BearerTokenHandler.SchemeName ? "api" : "web";
        return new Actor(id, name, via, http.Connection.RemoteIpAddress?.ToString());
    }

    /// <summary>A person at this machine's command line.</summary>
    public static Actor CommandLine() =>
        new(null, $"cli:{Environment.UserName}@{Environment.MachineName}", "cli", null);

    public static Actor System(string component) => new(null, $"system:{component}", "system", null);
}
