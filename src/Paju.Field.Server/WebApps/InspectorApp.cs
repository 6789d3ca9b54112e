namespace Paju.Field.Server.WebApps;

/// <summary>
/// The inspector app's addresses: <c>/inspector/</c> and everything under it is the app's one page (it routes on the
/// phone), except its service worker (<c>/inspector/sw.js</c>, allowed the whole site as its scope so a plate's
/// /t/… URL opens the app) and its fixed-name files (web manifest, icons).
/// </summary>
public static class InspectorApp
{
    public const string Name = "inspector";

    public static void MapInspectorApp(this WebApplication app)
    {
        app.MapGet("/inspector/sw.js", ServiceWorker).AllowAnonymous();
        app.MapGet("/inspector/{**path}", Page).AllowAnonymous();
    }

    private static IResult ServiceWorker(HttpContext http, WebAppFiles files)
    {
        var file = Path.Combine(files.Root, "sw", $"{Name}.js");
        if (!File.Exists(file))
        {
            return Results.NotFound();
        }
        http.Response.Headers["Service-Worker-Allowed"] = "/";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.File(file, "text/javascript; charset=utf-8");
    }

    /// <summary>The shell for anyone (it holds no data; the app asks the API, which checks the sign-in), or a public file.</summary>
    private static IResult Page(HttpContext http, string? path, WebAppFiles files)
    {
        // Routing ignores a trailing slash; the app's own address has one (the service worker knows it by that name).
        if (http.Request.Path.Value == "/inspector")
        {
            return Results.Redirect("/inspector/" + http.Request.QueryString);
        }
        if (!string.IsNullOrEmpty(path) && !path.Contains("..", StringComparison.Ordinal))
        {
            var file = Path.Combine(files.Root, "public", Name, path);
            if (File.Exists(file))
            {
                http.Response.Headers.CacheControl = "no-cache";
                http.Response.Headers.XContentTypeOptions = "nosniff";
                return Results.File(file, ContentType(file));
            }
        }
        return files.Page(Name) is { } shell ? PageResults.HtmlWithWasm(http, shell) : PageResults.NotBuilt(http, "점검원 앱");
    }

    private static string ContentType(string file) => Path.GetExtension(file) switch
    {
        ".webmanifest" => "application/manifest+json",
        ".png" => "image/png",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}
