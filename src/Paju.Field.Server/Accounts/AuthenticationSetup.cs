using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Accounts;

/// <summary>
/// Web pages sign in with a cookie; the API and the command line send a bearer token. One policy
/// scheme picks between them per request, so every endpoint accepts both. An anonymous request
/// to a restricted endpoint gets 401 and a wrong role 403, each as a JSON problem — never a
/// redirect to a login page an API client cannot follow.
/// </summary>
public static class AuthenticationSetup
{
    private const string SelectorScheme = "paju";

    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration, PajuOptions options)
    {
        services.AddPajuOptions<SignInOptions>(configuration);
        services.AddSingleton<SignInThrottle>();
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SelectorScheme;
                o.DefaultChallengeScheme = SelectorScheme;
            })
            .AddPolicyScheme(SelectorScheme, "Bearer token or cookie", o =>
                o.ForwardDefaultSelector = http =>
                    http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? BearerTokenHandler.SchemeName
                        : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "paju.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(options.SessionHours);
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = http => WriteProblemAsync(http.HttpContext, StatusCodes.Status401Unauthorized, "로그인이 필요합니다.");
                o.Events.OnRedirectToAccessDenied = http => WriteProblemAsync(http.HttpContext, StatusCodes.Status403Forbidden, "이 작업을 할 권한이 없습니다.");
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.SignedIn, p => p.RequireAuthenticatedUser())
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.Operator, p => p.RequireRole(Roles.Admin, Roles.Operator))
            .AddPolicy(Policies.Inspector, p => p.RequireRole(Roles.Admin, Roles.Operator, Roles.Inspector))
            .AddPolicy(Policies.FieldWork, p => p.RequireRole(Roles.Admin, Roles.Operator, Roles.Inspector, Roles.ManagingBody));
        return services;
    }

    private static Task WriteProblemAsync(HttpContext http, int status, string detail)
    {
        http.Response.StatusCode = status;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = status, Detail = detail },
        }).AsTask();
    }
}
