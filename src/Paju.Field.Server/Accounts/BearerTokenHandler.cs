using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Paju.Field.Server.Accounts;

/// <summary>Authenticates <c>Authorization: Bearer pf_…</c> against the api_token table.</summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, NpgsqlDataSource db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        await using var conn = await db.OpenConnectionAsync(Context.RequestAborted);
        var user = await ApiTokens.ValidateAsync(conn, header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (user is null)
        {
            return AuthenticateResult.Fail("The bearer token is unknown, expired or revoked.");
        }
        var principal = new ClaimsPrincipal(Claims.IdentityFor(user, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }
}

public static class Claims
{
    public static ClaimsIdentity IdentityFor(AppUser user, string authenticationType) => new(
    [
        new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
        new Claim(ClaimTypes.Name, user.Username),
        new Claim("display_name", user.DisplayName),
        new Claim(ClaimTypes.Role, user.Role),
    ], authenticationType, ClaimTypes.Name, ClaimTypes.Role);
}
