using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Accounts;

public sealed record LoginRequest(string Username, string Password);

public sealed record TokenRequest(string Username, string Password, string? Label);

public sealed record UserView(long Id, string Username, string DisplayName, string Role, DateTimeOffset CreatedAt, DateTimeOffset? LastLoginAt, bool Disabled)
{
    public static UserView From(AppUser u) => new(u.Id, u.Username, u.DisplayName, u.Role, u.CreatedAt, u.LastLoginAt, u.Disabled);
}

public sealed record TokenView(string Token, DateTimeOffset ExpiresAt, UserView User);

/// <summary>/api/auth: sign in with a cookie (web pages) or get a bearer token (API, command line).</summary>
public static class AuthEndpoints
{
    internal const string WrongCredentials = "아이디 또는 비밀번호가 올바르지 않습니다.";

    /// <summary>Sign-in (/api/auth) and the user administration (/api/users).</summary>
    public static void MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapAuth();
        app.MapUsers();
    }

    private static void MapAuth(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth");
        auth.MapPost("/login", Login).AllowAnonymous();
        auth.MapPost("/token", IssueToken).AllowAnonymous();
        auth.MapPost("/logout", Logout).RequireAuthorization(Policies.SignedIn);
        auth.MapGet("/me", Me).RequireAuthorization(Policies.SignedIn);
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> Login(
        LoginRequest request, HttpContext http, NpgsqlDataSource db, SignInThrottle throttle, CancellationToken ct)
    {
        var (user, verdict) = await TrySignInAsync(request.Username, request.Password, http, db, throttle, ct);
        if (user is null)
        {
            return Refusal(http, verdict);
        }
        await SignInAsync(http, user);
        return TypedResults.Ok(UserView.From(user));
    }

    /// <summary>
    /// Sets the web sign-in cookie (the JSON API here and the sign-in page's form). It outlives the browser's process for
    /// the session's hours (Paju:SessionHours, a field day or a shift): a phone that closes the inspector app in the
    /// background, or restarts, in a playground without signal must not find its inspector signed out.
    /// </summary>
    internal static Task SignInAsync(HttpContext http, AppUser user) =>
        http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(Claims.IdentityFor(user, CookieAuthenticationDefaults.AuthenticationScheme)),
            new AuthenticationProperties { IsPersistent = true });

    private static async Task<Results<Ok<TokenView>, ProblemHttpResult>> IssueToken(
        TokenRequest request, HttpContext http, NpgsqlDataSource db, SignInThrottle throttle, IOptions<PajuOptions> options, CancellationToken ct)
    {
        var (user, verdict) = await TrySignInAsync(request.Username, request.Password, http, db, throttle, ct);
        if (user is null)
        {
            return Refusal(http, verdict);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var label = string.IsNullOrWhiteSpace(request.Label) ? "api" : request.Label.Trim();
        var token = await ApiTokens.IssueAsync(conn, tx, user.Id, label, TimeSpan.FromDays(options.Value.TokenLifetimeDays), ct);
        var actor = Actor.From(http) with { UserId = user.Id, Name = user.Username, Via = "api" };
        await AuditLog.WriteAsync(conn, tx, actor, "token.issue", "user", user.Username, new { label, expiresAt = token.ExpiresAt }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new TokenView(token.Token, token.ExpiresAt, UserView.From(user)));
    }

    private static async Task<NoContent> Logout(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var header = http.Request.Headers.Authorization.ToString();
        await using var conn = await db.OpenConnectionAsync(ct);
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            await ApiTokens.RevokeAsync(conn, header["Bearer ".Length..].Trim(), ct);
        }
        else
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        await AuditLog.WriteAsync(conn, null, Actor.From(http), "logout", "user", http.User.Identity?.Name, ct: ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UserView>, NotFound>> Me(ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var user = await UserStore.FindAsync(conn, null, principal.Identity!.Name!, ct);
        return user is null ? TypedResults.NotFound() : TypedResults.Ok(UserView.From(user));
    }

    /// <summary>
    /// A sign-in attempt: refused at once while the account or the address is slowed down or locked (the
    /// password is not even checked then), else the password is checked and a failure counted against both.
    /// </summary>
    internal static async Task<(AppUser? User, ThrottleVerdict Verdict)> TrySignInAsync(string? username, string? password, HttpContext http,
        NpgsqlDataSource db, SignInThrottle throttle, CancellationToken ct)
    {
        var account = AccountName(username);
        var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var verdict = await throttle.CheckAllAsync([(SignInThrottle.Account, account), (SignInThrottle.Address, address)], ct);
        if (verdict is not ThrottleVerdict.Allowed)
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await AuditLog.WriteAsync(conn, null, Actor.From(http) with { Name = account, Via = "web" }, "login.throttled", "user", account,
                new { verdict = verdict.GetType().Name, message = verdict.Korean }, ct);
            return (null, verdict);
        }
        var user = await VerifyAsync(username, password, http, db, ct);
        if (user is not null)
        {
            await throttle.SucceededAsync(SignInThrottle.Account, account, ct);
            return (user, verdict);
        }
        var accountLocked = account.Length > 0 && await throttle.FailedAsync(SignInThrottle.Account, account, ct);
        var addressLocked = await throttle.FailedAsync(SignInThrottle.Address, address, ct);
        if (accountLocked || addressLocked)
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await AuditLog.WriteAsync(conn, null, Actor.From(http) with { Name = account, Via = "web" }, "login.locked", "user", account,
                new { account = accountLocked, address = addressLocked ? address : null }, ct);
        }
        return (null, verdict);
    }

    /// <summary>
    /// The account a sign-in names, as the throttle counts it and the audit log records it. Usernames are at most 32
    /// characters, so a longer one names no account: it is cut to 64 characters (with …) rather than recorded whole — a
    /// 100,000-character "username" would not fit the audit log's index and turned a wrong sign-in into a 500.
    /// </summary>
    private static string AccountName(string? username) => Bounded((username ?? "").Trim().ToLowerInvariant());

    private static string Bounded(string name) => name.Length <= 64 ? name : name[..64] + "…";

    /// <summary>401 for a wrong password; 429 with Retry-After while slowed down; 423 while locked — each saying, in Korean, how long.</summary>
    private static ProblemHttpResult Refusal(HttpContext http, ThrottleVerdict verdict)
    {
        switch (verdict)
        {
            case ThrottleVerdict.Wait wait:
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.For.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(verdict.Korean, statusCode: StatusCodes.Status429TooManyRequests);
            case ThrottleVerdict.Locked locked:
                http.Response.Headers.RetryAfter = locked.Until.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(verdict.Korean, statusCode: StatusCodes.Status423Locked);
            default:
                return TypedResults.Problem(WrongCredentials, statusCode: StatusCodes.Status401Unauthorized);
        }
    }

    /// <summary>Checks a password and audits the attempt either way: failed sign-ins are what an admin looks for first.</summary>
    private static async Task<AppUser?> VerifyAsync(string? username, string? password, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var user = string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password)
            ? null
            : await UserStore.VerifyPasswordAsync(conn, username, password, ct);
        var actor = user is null
            ? Actor.From(http) with { Name = Bounded(username ?? ""), Via = "web" }
            : Actor.From(http) with { UserId = user.Id, Name = user.Username };
        await AuditLog.WriteAsync(conn, null, actor, user is null ? "login.failed" : "login", "user", username is null ? null : Bounded(username), ct: ct);
        return user;
    }
}
