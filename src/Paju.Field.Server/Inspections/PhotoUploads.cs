using System.Security.Claims;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Ingest;

namespace Paju.Field.Server.Inspections;

/// <summary>
/// Photos in chunks of at most 256 KB: <c>PUT …/photos/{photo}</c> with <c>Content-Range: bytes a-b/total</c>, and a
/// <c>HEAD</c> that answers how many bytes arrived (<c>Upload-Offset</c>), so a cut upload resumes where it stopped
/// instead of from zero. The last chunk completes the photo: its SHA-256 must be the announced one and its content a
/// JPEG, PNG or WebP (by its bytes, not its name). A refused photo is set aside for review, never lost.
/// </summary>
public static partial class PhotoUploads
{
    public const int MaxChunkBytes = 256 * 1024;

    [GeneratedRegex(@"^bytes (\d{1,9})-(\d{1,9})/(\d{1,9})$")]
    private static partial Regex ContentRange();

    private sealed record Announced(byte[] Sha256, int Bytes, bool Complete, long InspectorId);

    public static void MapPhotoUploads(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/inspections/{id:guid}/photos/{photo:guid}", ["HEAD"], HeadAsync).RequireAuthorization(Policies.FieldWork)
            .WithSummary("올라온 바이트 수: Upload-Offset (resume from there), Upload-Length");
        app.MapPut("/api/inspections/{id:guid}/photos/{photo:guid}", PutAsync).RequireAuthorization(Policies.FieldWork)
            // The declared type is a claim like a file name: whatever it says, the chunk reaches the handler and the bytes are
            // judged there, so a wrong file gets a reason in Korean and is kept for review instead of routing's bare 415.
            .Accepts<byte[]>("application/octet-stream", "image/jpeg", "image/png", "image/webp", "*/*")
            .Produces<PhotoProgress>(StatusCodes.Status202Accepted).Produces<PhotoState>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("사진 조각 (≤ 256 KB, Content-Range: bytes a-b/total); the last one completes the photo: SHA-256 and content checked");
        app.MapGet("/api/inspections/{id:guid}/photos/{photo:guid}", GetAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("사진 (content-addressed, immutable)");
    }

    private static async Task<IResult> HeadAsync(HttpContext http, Guid id, Guid photo, NpgsqlDataSource db, IPhotoStore store, CancellationToken ct)
    {
        var announced = await FindAsync(db, id, photo, ct);
        if (announced is null)
        {
            return Results.NotFound();
        }
        if (!MayUpload(http.User, announced))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        http.Response.Headers["Upload-Offset"] = (announced.Complete ? announced.Bytes : store.Received(id, photo)).ToString();
        http.Response.Headers["Upload-Length"] = announced.Bytes.ToString();
        http.Response.Headers.CacheControl = "no-store";
        // 204: nothing follows the headers, so no client waits for a body a HEAD never has.
        return Results.NoContent();
    }

    private static async Task<IResult> PutAsync(HttpContext http, Guid id, Guid photo, NpgsqlDataSource db, IPhotoStore store, CancellationToken ct)
    {
        var announced = await FindAsync(db, id, photo, ct);
        if (announced is null)
        {
            return Problem(StatusCodes.Status404NotFound, "알리지 않은 사진입니다", "이 점검에 이 사진이 알려져 있지 않습니다. 점검을 먼저 보내고, 그 안에 사진을 알리세요.");
        }
        if (!MayUpload(http.User, announced))
        {
            return Problem(StatusCodes.Status403Forbidden, "다른 사람의 점검입니다", "다른 사람이 접수한 점검에는 사진을 올릴 수 없습니다.");
        }
        if (announced.Complete)
        {
            return Results.Ok(await StateAsync(db, id, photo, announced.Bytes, true, ct));
        }
        var match = ContentRange().Match(http.Request.Headers.ContentRange.ToString());
        if (!match.Success)
        {
            return Problem(StatusCodes.Status400BadRequest, "Content-Range 가 필요합니다", "조각마다 Content-Range: bytes 시작-끝/전체 를 보내세요 (예: bytes 0-262143/800000).");
        }
        var (start, end, total) = (long.Parse(match.Groups[1].Value), long.Parse(match.Groups[2].Value), long.Parse(match.Groups[3].Value));
        if (total > InspectionSubmission.MaxPhotoBytes)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "사진이 너무 큽니다", $"사진은 한 장에 10 MB 이하만 받습니다 ({total / 1048576.0:0.0} MB).");
        }
        if (total != announced.Bytes)
        {
            return Problem(StatusCodes.Status400BadRequest, "사진 크기가 다릅니다", $"이 사진은 {announced.Bytes:N0} 바이트로 알려졌는데 {total:N0} 바이트를 보냈습니다.");
        }
        if (end < start || end >= total || end - start + 1 > MaxChunkBytes || http.Request.ContentLength != end - start + 1)
        {
            return Problem(StatusCodes.Status400BadRequest, "조각이 맞지 않습니다", $"조각은 256 KB 이하이고, 본문 길이가 Content-Range 와 같아야 합니다 (받은 범위 {start}-{end}, 본문 {http.Request.ContentLength} 바이트).");
        }
        long received;
        try
        {
            received = await store.AppendAsync(id, photo, start, http.Request.Body, ct);
        }
        catch (UploadOffsetException e)
        {
            http.Response.Headers["Upload-Offset"] = e.Received.ToString();
            return Problem(StatusCodes.Status409Conflict, "이어 올릴 위치가 다릅니다", $"서버에는 {e.Received:N0} 바이트가 있습니다. 그 위치부터 이어 보내세요.",
                new() { ["received"] = e.Received });
        }
        if (received < total)
        {
            // More to come (or the body was cut short: what arrived stays, and the client resumes from it).
            http.Response.Headers["Upload-Offset"] = received.ToString();
            return Results.Json(new PhotoProgress(photo, received, announced.Bytes, false), statusCode: StatusCodes.Status202Accepted);
        }
        return await CompleteAsync(http, id, photo, announced, db, store, ct);
    }

    /// <summary>The last byte arrived: check the hash and the content, read EXIF, store by content, count it.</summary>
    private static async Task<IResult> CompleteAsync(HttpContext http, Guid id, Guid photo, Announced announced, NpgsqlDataSource db, IPhotoStore store, CancellationToken ct)
    {
        var actor = Actor.From(http);
        var (sha256, _) = await store.HashAsync(id, photo, ct);
        if (!sha256.AsSpan().SequenceEqual(announced.Sha256))
        {
            var aside = store.SetAside(id, photo, "sha256-mismatch");
            var reason = $"사진이 온전히 오지 않았습니다: 받은 파일의 SHA-256({Convert.ToHexStringLower(sha256)[..12]}…)이 알린 값({Convert.ToHexStringLower(announced.Sha256)[..12]}…)과 다릅니다. 처음부터 다시 올려 주세요.";
            await DeadLetters.KeepAsync(db, actor, Topic(id, photo), "sha256_mismatch", reason, Encoding.UTF8.GetBytes(aside), ct);
            return Problem(StatusCodes.Status422UnprocessableEntity, "사진이 손상되었습니다", reason, new() { ["received"] = 0 });
        }
        PhotoFacts facts;
        await using (var content = store.OpenUpload(id, photo))
        {
            facts = PhotoContent.Read(content);
        }
        if (facts.MediaType is null)
        {
            var aside = store.SetAside(id, photo, "not-an-image");
            const string reason = "사진 파일이 아닙니다: JPEG, PNG, WebP 사진만 받습니다 (파일 이름이 아니라 내용으로 판단합니다).";
            await DeadLetters.KeepAsync(db, actor, Topic(id, photo), "not_an_image", reason, Encoding.UTF8.GetBytes(aside), ct);
            return Problem(StatusCodes.Status415UnsupportedMediaType, "사진이 아닙니다", reason);
        }
        await store.CommitAsync(id, photo, sha256, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var update = new NpgsqlCommand("""
            WITH done AS (
                UPDATE inspection_photo SET received_at = now(), media_type = $3, exif_taken_at = $4,
                       exif_position = CASE WHEN $5::float8 IS NOT NULL THEN ST_SetSRID(ST_MakePoint($6, $5), 4326) END
                WHERE inspection_id = $1 AND photo_id = $2 AND received_at IS NULL
                RETURNING inspection_id)
            UPDATE inspection SET photos_received = photos_received + (SELECT count(*) FROM done) WHERE id = $1
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = photo }, new() { Value = facts.MediaType },
                new() { Value = (object?)facts.TakenAt?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = (object?)facts.Position?.Latitude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
                new() { Value = (object?)facts.Position?.Longitude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
            },
        })
        {
            await update.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "inspection.photo", "inspection", id.ToString(),
            new { photo, sha256 = Convert.ToHexStringLower(sha256), facts.MediaType, exifTakenAt = facts.TakenAt }, ct);
        await tx.CommitAsync(ct);
        http.Response.Headers["Upload-Offset"] = announced.Bytes.ToString();
        return Results.Json(await StateAsync(db, id, photo, announced.Bytes, true, ct), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(HttpContext http, Guid id, Guid photo, NpgsqlDataSource db, IPhotoStore store, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT sha256, media_type FROM inspection_photo WHERE inspection_id = $1 AND photo_id = $2 AND received_at IS NOT NULL");
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = photo });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return Results.NotFound();
        }
        var sha = reader.GetFieldValue<byte[]>(0);
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        return Results.Stream(store.Open(sha), reader.GetString(1), entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{Convert.ToHexStringLower(sha)}\""));
    }

    public sealed record PhotoProgress(Guid Photo, long Received, int Bytes, bool Complete);

    public sealed record PhotoState(Guid Photo, long Received, int Bytes, bool Complete, int PhotosReceived, int PhotosExpected, string PhotoStatus);

    private static async Task<PhotoState> StateAsync(NpgsqlDataSource db, Guid id, Guid photo, long received, bool complete, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT p.bytes, i.photos_received, i.photos_expected FROM inspection_photo p JOIN inspection i ON i.id = p.inspection_id
            WHERE p.inspection_id = $1 AND p.photo_id = $2
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = photo });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (bytes, got, expected) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        return new PhotoState(photo, received, bytes, complete, got, expected, InspectionReceipt.PhotoStatusText(got, expected));
    }

    private static async Task<Announced?> FindAsync(NpgsqlDataSource db, Guid id, Guid photo, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT p.sha256, p.bytes, p.received_at IS NOT NULL, i.inspector_id
            FROM inspection_photo p JOIN inspection i ON i.id = p.inspection_id
            WHERE p.inspection_id = $1 AND p.photo_id = $2
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = photo });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new Announced(reader.GetFieldValue<byte[]>(0), reader.GetInt32(1), reader.GetBoolean(2), reader.GetInt64(3))
            : null;
    }

    private static bool MayUpload(ClaimsPrincipal user, Announced announced) =>
        long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var me) && (me == announced.InspectorId || user.IsInRole(Roles.Admin));

    private static string Topic(Guid id, Guid photo) => $"http:PUT /api/inspections/{id}/photos/{photo}";

    private static IResult Problem(int status, string title, string detail, Dictionary<string, object?>? extensions = null) =>
        Results.Problem(detail, title: title, statusCode: status, extensions: extensions);
}
