using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.WebApps;

/// <summary>
/// The pages people open: `/` sends each role to its app, `/login` and `/logout`, and the built
/// assets under `/assets/` (content-hashed names, cached for a year; pages themselves are revalidated).
/// </summary>
public static class WebAppEndpoints
{
    // esbuild's [hash] is 8 characters of A–Z and 0–9: such a name never changes content.
    private static readonly System.Text.RegularExpressions.Regex Hashed = new(@"-[A-Z0-9]{8}\.[a-z.]+$", System.Text.RegularExpressions.RegexOptions.Compiled);

    public static IServiceCollection AddWebApps(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton<WebAppFiles>().AddPajuOptions<ControlRoomOptions>(configuration);

    public static void MapWebApps(this WebApplication app)
    {
        var files = app.Services.GetRequiredService<WebAppFiles>();
        if (Directory.Exists(files.AssetsDirectory))
        {
            var types = new FileExtensionContentTypeProvider();
            types.Mappings[".map"] = "application/json";
            types.Mappings[".webmanifest"] = "application/manifest+json";
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(files.AssetsDirectory),
                RequestPath = "/assets",
                ContentTypeProvider = types,
                OnPrepareResponse = c =>
                {
                    c.Context.Response.Headers.CacheControl = Hashed.IsMatch(c.File.Name) ? "public, max-age=31536000, immutable" : "no-cache";
                    c.Context.Response.Headers.XContentTypeOptions = "nosniff";
                },
            });
        }
        app.MapGet("/", Home).AllowAnonymous();
        app.MapInspectorApp();
        app.MapGet("/login", LoginPage.Show).AllowAnonymous();
        app.MapPost("/login", LoginPage.SubmitAsync).AllowAnonymous().DisableAntiforgery();
        app.MapPost("/logout", LogoutAsync).AllowAnonymous().DisableAntiforgery();
    }

    /// <summary>Each role to its place: operators and administrators to the control room, inspectors to their app; anyone else the landing page.</summary>
    private static IResult Home(HttpContext http, WebAppFiles files, ControlRoomOptions room)
    {
        var user = http.User;
        var role = user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.Role) : null;
        if (role is Roles.Admin or Roles.Operator && files.Page("control-room") is { } page)
        {
            return PageResults.Html(http, PageResults.Fill(page, new Dictionary<string, string>
            {
                ["who"] = SignedInAs(user, role),
                ["config"] = room.ToJson(),
            }), room.BasemapOrigin);
        }
        if (role is Roles.Inspector or Roles.ManagingBody && files.Has("inspector"))
        {
            return Results.Redirect("/inspector/");
        }
        if (files.Page("shared", "home") is not { } home)
        {
            return PageResults.NotBuilt(http, "첫");
        }
        var notice = role switch
        {
            Roles.Admin or Roles.Operator => "<p class=\"muted\">상황실 지도 화면은 아직 이 서버에 없습니다. 아래의 API와 타일은 지금 쓸 수 있습니다.</p>",
            Roles.Inspector or Roles.ManagingBody => "<p class=\"muted\">점검원 앱은 아직 이 서버에 없습니다.</p>",
            _ => "",
        };
        return PageResults.Html(http, PageResults.Fill(home, new Dictionary<string, string>
        {
            ["who"] = role is null ? "<a class=\"button\" href=\"/login\">로그인</a>" : SignedInAs(user, role),
            ["notice"] = notice,
            ["offers"] = role is null ? "<li><a href=\"/login\">로그인</a> · 관리자, 상황실 운영자, 현장 점검원</li>" : "",
        }));
    }

    internal static string SignedInAs(ClaimsPrincipal user, string role) =>
        $"<span>{PageResults.Encode(user.Identity!.Name)} ({PageResults.Encode(Roles.KoreanName(role))})</span>" +
        "<form method=\"post\" action=\"/logout\"><button class=\"quiet\" type=\"submit\">로그아웃</button></form>";

    private static async Task<IResult> LogoutAsync(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!SameOrigin.Allows(http.Request))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        if (http.User.Identity?.IsAuthenticated == true)
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            await using var conn = await db.OpenConnectionAsync(ct);
            await AuditLog.WriteAsync(conn, null, Actor.From(http), "logout", "user", http.User.Identity.Name, ct: ct);
        }
        return PageResults.SeeOther(http, "/login");
    }
}
