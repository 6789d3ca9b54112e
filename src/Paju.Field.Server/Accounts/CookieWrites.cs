using Microsoft.AspNetCore.Authentication.Cookies;

namespace Paju.Field.Server.Accounts;

/// <summary>
/// A write made with the sign-in cookie must come from this server's own pages. SameSite=Lax stops other
/// sites but not a sibling subdomain (another *.paju.go.kr service is "same site"); the browser's Origin
/// and Sec-Fetch-Site say exactly where the request came from. Bearer tokens are not sent by browsers on
/// their own, so API clients are not affected.
/// </summary>
public static class CookieWrites
{
    public static void UseSameOriginCookieWrites(this WebApplication app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        var write = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        if (write && http.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieAuthenticationDefaults.AuthenticationScheme }
                  && !SameOrigin.Allows(request))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = StatusCodes.Status403Forbidden,
                    Detail = "다른 사이트의 페이지에서 보낸 요청은 받지 않습니다. 이 서버의 화면에서 다시 하세요.",
                },
            });
            return;
        }
        await next(http);
    });
}
