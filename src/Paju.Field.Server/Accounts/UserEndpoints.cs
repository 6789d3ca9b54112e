using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Accounts;

public sealed record CreateUserRequest(string Username, string? DisplayName, string Role, string Password, string? Department = null, string? ManagingBody = null);

/// <summary>/api/users: administrators manage accounts; every change is audited.</summary>
public static class UserEndpoints
{
    public static void MapUsers(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").RequireAuthorization(Policies.Admin);
        users.MapGet("/", List);
        users.MapPost("/", Create);
        users.MapPost("/{username}/unlock", Unlock);
    }

    /// <summary>Lifts the lock and delays that failed sign-ins put on an account, at once.</summary>
    private static async Task<Ok<object>> Unlock(string username, HttpContext http, NpgsqlDataSource db, SignInThrottle throttle, CancellationToken ct)
    {
        var name = username.Trim().ToLowerInvariant();
        var lifted = await throttle.ForgetAsync(SignInThrottle.Account, name, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await AuditLog.WriteAsync(conn, null, Actor.From(http), "user.unlock", "user", name, new { lifted }, ct);
        return TypedResults.Ok<object>(new { username = name, lifted });
    }

    private static async Task<Ok<IEnumerable<UserView>>> List(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok((await UserStore.ListAsync(conn, ct)).Select(UserView.From));
    }

    private static async Task<Results<Created<UserView>, ProblemHttpResult>> Create(
        CreateUserRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        AppUser user;
        try
        {
            user = await UserStore.CreateAsync(conn, tx, request.Username ?? "", request.DisplayName ?? "", request.Role ?? "", request.Password ?? "", ct,
                request.Department, request.ManagingBody);
        }
        catch (AccountException e)
        {
            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        await AuditLog.WriteAsync(conn, tx, Actor.From(http), "user.create", "user", user.Username,
            new { user.Role, user.DisplayName }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/users/{user.Username}", UserView.From(user));
    }
}
