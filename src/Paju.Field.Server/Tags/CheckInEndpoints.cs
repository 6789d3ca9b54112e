using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Tags;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Tags;

/// <summary>
/// <c>POST /api/checkins</c> (the app's check-in, idempotent by the id the phone made), the review list for
/// operators, and what each flag means.
/// </summary>
public static class CheckInEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;
    private const string Topic = "http:POST /api/checkins";

    public static void MapCheckIns(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/checkins", SubmitAsync).RequireAuthorization(Policies.FieldWork)
            .Accepts<Inspections.CheckInBody>("application/json")
            .Produces<CheckInView>(StatusCodes.Status201Created).Produces<CheckInView>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("체크인: the tag's proof (SUN, signature), the distance PostGIS measures, flags; the same id again → the first answer");
        app.MapGet("/api/checkins", ListAsync).RequireAuthorization(Policies.Operator);
        app.MapGet("/api/checkins/flags", () => TypedResults.Ok(CheckInFlags.All)).RequireAuthorization(Policies.SignedIn);
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, NpgsqlDataSource db, CheckInVerifier verifier, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http.Request, ct);
        var actor = Actor.From(http);
        if (body is null)
        {
            return await RejectAsync(db, actor, [], "too_large", $"본문이 {MaxBodyBytes / 1024} KB를 넘습니다. 체크인에는 태그 주소와 위치만 보내세요.", ct);
        }
        var (submission, problem) = CheckInSubmission.Parse(body);
        if (submission is null)
        {
            return await RejectAsync(db, actor, body, "wrong_type", problem!, ct);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long? chosenAsset = null;
        if (submission.Method == CheckInMethods.Nearby)
        {
            try
            {
                chosenAsset = (await AssetRef.ResolveAsync(conn, tx, submission.AssetCode!, submission.AssetKind, ct)).Id;
            }
            catch (TagException e)
            {
                await tx.RollbackAsync(ct);
                return await RejectAsync(db, actor, body, "unknown_asset", e.Message, ct);
            }
        }
        // Decided first, then stored with its verdict in one statement. A resubmission decides again (a SUN URL then reads as
        // its own replay) but stores nothing: the first answer is returned, as stored.
        var verdict = await verifier.DecideAsync(conn, tx, new CheckInClaim(submission.Method, submission.Url, submission.Uid, chosenAsset, submission.Position), ct);
        var stored = await CheckInRecords.InsertAsync(conn, tx, submission, actor.UserId!.Value, DateTimeOffset.UtcNow, verdict, ct);
        if (stored is not null)
        {
            await tx.CommitAsync(ct);
            return TypedResults.Created($"/api/checkins/{stored.Id}", stored);
        }
        var (first, owner) = (await CheckInRecords.FindByClientIdAsync(conn, tx, submission.Id, ct))!.Value;
        await tx.RollbackAsync(ct);
        if (owner != actor.UserId)
        {
            return TypedResults.Problem($"체크인 id {submission.Id}는 다른 사용자가 이미 썼습니다. 앱이 새 id를 만들어 다시 보내야 합니다.",
                title: "이미 쓰인 체크인 id", statusCode: StatusCodes.Status409Conflict);
        }
        return TypedResults.Ok(first);
    }

    /// <summary>The review list: <c>?status=flagged,refused</c> (default: both), <c>?asset=CODE</c>, <c>?before=number</c> pages.</summary>
    private static async Task<Ok<List<CheckInView>>> ListAsync(NpgsqlDataSource db, string? status, string? asset, long? before, int? limit, CancellationToken ct)
    {
        var statuses = status is null ? [CheckInStatuses.Flagged, CheckInStatuses.Refused]
            : status == "all" ? null
            : status.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return TypedResults.Ok(await CheckInRecords.ListAsync(db, statuses, asset, before, Math.Clamp(limit ?? 100, 1, 1000), ct));
    }

    /// <summary>A refused check-in is kept with its reason for review, like a device's dead letter, then answered 400 in Korean.</summary>
    private static async Task<IResult> RejectAsync(NpgsqlDataSource db, Actor actor, byte[] body, string code, string reason, CancellationToken ct)
    {
        await Ingest.DeadLetters.KeepAsync(db, actor, Topic, code, reason, body, ct);
        return TypedResults.Problem(reason, title: "체크인을 받을 수 없습니다", statusCode: StatusCodes.Status400BadRequest,
            extensions: new Dictionary<string, object?> { ["code"] = code });
    }

        /// <summary>The body up to the limit; null when it is longer.</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct, int maxBytes = MaxBodyBytes)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
