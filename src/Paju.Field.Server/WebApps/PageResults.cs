using System.Net;
using System.Text;

namespace Paju.Field.Server.WebApps;

/// <summary>How every page is sent: UTF-8 HTML, never cached stale, and a policy that lets a page run only its own scripts.</summary>
public static class PageResults
{
    // Built pages load only /assets/… from this origin; no inline script or style, nothing from elsewhere.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public static IResult Html(HttpContext http, string html, int status = StatusCodes.Status200OK)
    {
        SetHeaders(http);
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>A page that may also fetch images from one more origin (the control room's configured basemap).</summary>
    public static IResult Html(HttpContext http, string html, string? alsoFrom)
    {
        SetHeaders(http);
        if (alsoFrom is not null)
        {
            http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy
                .Replace("img-src 'self'", $"img-src 'self' {alsoFrom}", StringComparison.Ordinal)
                .Replace("connect-src 'self'", $"connect-src 'self' {alsoFrom}", StringComparison.Ordinal);
        }
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8);
    }

    /// <summary>
    /// A page that may compile WebAssembly (the inspector app's QR decoder, on phones without BarcodeDetector):
    /// 'wasm-unsafe-eval' allows WebAssembly compilation only — JavaScript eval stays forbidden.
    /// </summary>
    public static IResult HtmlWithWasm(HttpContext http, string html)
    {
        SetHeaders(http);
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy.Replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8);
    }

    /// <summary>A page already rendered to UTF-8 (a cached one), with the same headers.</summary>
    public static IResult Bytes(HttpContext http, byte[] html)
    {
        SetHeaders(http);
        return Results.Bytes(html, "text/html; charset=utf-8");
    }

    private static void SetHeaders(HttpContext http)
    {
        var headers = http.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
    }

    /// <summary>A page's template with each {{slot}} filled; values given as text are HTML-encoded here.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> slots)
    {
        var html = new StringBuilder(template);
        foreach (var (name, value) in slots)
        {
            html.Replace("{{" + name + "}}", value);
        }
        return html.ToString();
    }

    /// <summary>303: after a form post the browser GETs the next page, so a reload never re-posts a password.</summary>
    public static IResult SeeOther(HttpContext http, string location)
    {
        http.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>Shown where a page is missing from the build, so the cause is on the screen and not only in the log.</summary>
    public static IResult NotBuilt(HttpContext http, string what) => Html(http, $"""
        <!doctype html><html lang="ko"><head><meta charset="utf-8"><title>화면이 빌드되지 않았습니다</title></head>
        <body><main><h1>화면이 빌드되지 않았습니다</h1><p>{Encode(what)} 화면이 이 서버에 없습니다. 저장소에서 <code>./paju</code>로 빌드하면 maps/의 웹 화면이 함께 만들어집니다.</p>
        <p><a href="/api">API 안내</a></p></main></body></html>
        """, StatusCodes.Status503ServiceUnavailable);
}
