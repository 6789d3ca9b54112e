using Npgsql;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.WebApps;

/// <summary>
/// /login: a plain HTML form that works without scripts and that password managers understand
/// (autocomplete username / current-password, a real POST, a 303 after success). A wrong password
/// re-renders the form with the reason in Korean, announced to screen readers.
/// </summary>
public static class LoginPage
{
    public static IResult Show(HttpContext http, WebAppFiles files, string? next)
    {
        if (http.User.Identity?.IsAuthenticated == true)
        {
            return Results.Redirect(LocalPath(next));
        }
        return Render(http, files, username: "", next: LocalPath(next), error: null);
    }

    public static async Task<IResult> SubmitAsync(HttpContext http, WebAppFiles files, NpgsqlDataSource db, SignInThrottle throttle, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
        {
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }
        if (!SameOrigin.Allows(http.Request))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        var form = await http.Request.ReadFormAsync(ct);
        var username = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        var next = LocalPath(form["next"]);
        if (username.Length == 0 || password.Length == 0)
        {
            return Render(http, files, username, next, "아이디와 비밀번호를 모두 입력하세요.");
        }
        var (user, verdict) = await AuthEndpoints.TrySignInAsync(username, password, http, db, throttle, ct);
        switch (verdict)
        {
            case ThrottleVerdict.Wait wait:
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.For.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Render(http, files, username, next, verdict.Korean, StatusCodes.Status429TooManyRequests);
            case ThrottleVerdict.Locked:
                return Render(http, files, username, next, verdict.Korean, StatusCodes.Status423Locked);
        }
        if (user is null)
        {
            // 200, not 401: this is the form again with a message, and a browser logs a 4xx page as a failed load.
            return Render(http, files, username, next, AuthEndpoints.WrongCredentials);
        }
        await AuthEndpoints.SignInAsync(http, user);
        return PageResults.SeeOther(http, next);
    }

    private static IResult Render(HttpContext http, WebAppFiles files, string username, string next, string? error, int status = StatusCodes.Status200OK)
    {
        if (files.Page("shared", "login") is not { } template)
        {
            return PageResults.NotBuilt(http, "로그인");
        }
        return PageResults.Html(http, PageResults.Fill(template, new Dictionary<string, string>
        {
            ["error"] = error is null ? "" : $"<p id=\"login-error\" class=\"error\" role=\"alert\">{PageResults.Encode(error)}</p>",
            ["invalid"] = error is null ? "" : "aria-invalid=\"true\" aria-describedby=\"login-error\"",
            ["username"] = PageResults.Encode(username),
            ["next"] = PageResults.Encode(next),
        }), status);
    }

    /// <summary>Only a path on this server: an open redirect to another site would make our sign-in page a phishing tool.</summary>
    internal static string LocalPath(string? next) =>
        !string.IsNullOrEmpty(next) && next.StartsWith('/') && !next.StartsWith("//", StringComparison.Ordinal) && !next.StartsWith("/\\", StringComparison.Ordinal)
            ? next
            : "/";
}
