using System.Text;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Inspections;

/// <summary>The programs the app fills (current versions), any version an inspection was filled with, and the administrators' edits.</summary>
public static class ProgramEndpoints
{
    public static void MapPrograms(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/programs", CurrentAsync).RequireAuthorization(Policies.SignedIn)
            .Produces<List<ProgramView>>().WithSummary("점검 프로그램의 현재 버전");
        app.MapGet("/api/programs/{code}/versions", VersionsAsync).RequireAuthorization(Policies.SignedIn);
        app.MapGet("/api/programs/{code}/versions/{version:int}", VersionAsync).RequireAuthorization(Policies.SignedIn);
        app.MapPut("/api/programs/{code}", EditAsync).RequireAuthorization(Policies.Admin)
            .Accepts<ProgramDefinition>("application/json").Produces<ProgramView>(StatusCodes.Status201Created)
            .WithSummary("프로그램 고치기: the definition becomes the next version (administrators)");
    }

    private static async Task<IResult> CurrentAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return Results.Json(await ProgramStore.CurrentAsync(conn, null, ct), ProgramDefinition.Json);
    }

    private static async Task<IResult> VersionsAsync(string code, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var versions = await ProgramStore.VersionsAsync(conn, code, ct);
        return versions.Count == 0 ? Results.NotFound() : Results.Json(versions, ProgramDefinition.Json);
    }

    private static async Task<IResult> VersionAsync(string code, int version, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await ProgramStore.VersionAsync(conn, null, code, version, ct) is { } found ? Results.Json(found, ProgramDefinition.Json) : Results.NotFound();
    }

    /// <summary>The body is the whole new definition; it becomes the next version. Inspections already filled keep theirs.</summary>
    private static async Task<IResult> EditAsync(HttpContext http, string code, NpgsqlDataSource db, CancellationToken ct)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var json = await reader.ReadToEndAsync(ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        try
        {
            var created = await ProgramStore.AddVersionAsync(conn, tx, code, json, Actor.From(http), ct);
            await tx.CommitAsync(ct);
            return Results.Json(created, ProgramDefinition.Json, statusCode: StatusCodes.Status201Created);
        }
        catch (ProgramException e)
        {
            return Results.Problem(e.Message, title: "프로그램을 고칠 수 없습니다", statusCode: StatusCodes.Status400BadRequest);
        }
    }
}
