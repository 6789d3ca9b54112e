using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Tags;

namespace Paju.Field.Server.Inspections;

/// <summary>
/// The API the inspector app uses: <c>PUT /api/inspections/{id}</c> (the id made on the phone), its receipt, corrections
/// as new versions, and the photos (<see cref="PhotoUploads"/>). Everything refused is answered in Korean and kept.
/// </summary>
public static class InspectionEndpoints
{
    private const int MaxBodyBytes = 256 * 1024;

    public sealed record CorrectionRequest(string Reason, JsonElement Submission);

    public static void MapInspections(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/inspections/{id:guid}", SubmitAsync).RequireAuthorization(Policies.FieldWork)
            .Accepts<InspectionBody>("application/json")
            .Produces<InspectionReceipt>(StatusCodes.Status201Created).Produces<InspectionReceipt>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("점검 제출 (the id is made on the phone; the same content again → 200 with the same receipt; other content → 409 naming both)");
        app.MapGet("/api/inspections/{id:guid}", GetAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("점검과 그 모든 버전 (its inspector, operators, administrators, viewers)");
        app.MapGet("/api/inspections/{id:guid}/receipt", ReceiptAsync).RequireAuthorization(Policies.SignedIn)
            .Produces<InspectionReceipt>().WithSummary("접수증: 접수번호, 서버 시각, 제출 내용의 SHA-256 (RFC 8785), 사진 n/m");
        app.MapPost("/api/inspections/{id:guid}/corrections", CorrectAsync).RequireAuthorization(Policies.FieldWork)
            .Accepts<CorrectionBody>("application/json").Produces<InspectionReceipt>(StatusCodes.Status201Created)
            .WithSummary("정정: 새 버전 (the inspector who submitted, or an administrator)");
        app.MapPhotoUploads();
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, Guid id, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = Actor.From(http);
        var topic = $"http:PUT /api/inspections/{id}";
        var body = await CheckInEndpoints.ReadBodyAsync(http.Request, ct, MaxBodyBytes);
        if (body is null)
        {
            return await RefuseAsync(db, actor, topic, [], StatusCodes.Status413PayloadTooLarge, "too_large", ["점검 본문이 256 KB 를 넘습니다. 사진은 본문이 아니라 따로 올립니다."], ct);
        }
        var (submission, problems) = InspectionSubmission.Parse(body, DateTimeOffset.UtcNow);
        if (submission is null)
        {
            return await RefuseAsync(db, actor, topic, body, StatusCodes.Status400BadRequest, "wrong_type", problems, ct);
        }
        return await StoreAsync(db, actor, topic, body, ct, (conn, tx) =>
            InspectionStore.SubmitAsync(conn, tx, db, id, submission, actor, http.User.FindFirstValue(ClaimTypes.Role)!, ct));
    }

    private static async Task<IResult> CorrectAsync(HttpContext http, Guid id, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = Actor.From(http);
        var topic = $"http:POST /api/inspections/{id}/corrections";
        var body = await CheckInEndpoints.ReadBodyAsync(http.Request, ct, MaxBodyBytes);
        if (body is null)
        {
            return await RefuseAsync(db, actor, topic, [], StatusCodes.Status413PayloadTooLarge, "too_large", ["정정 본문이 256 KB 를 넘습니다."], ct);
        }
        string? reason = null;
        byte[]? inner = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String && r.GetString()!.Trim().Length > 0
                && document.RootElement.TryGetProperty("submission", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                reason = r.GetString()!.Trim();
                inner = Encoding.UTF8.GetBytes(s.GetRawText());
            }
        }
        catch (JsonException)
        {
        }
        if (reason is null || inner is null || reason.Length > 1000)
        {
            return await RefuseAsync(db, actor, topic, body, StatusCodes.Status400BadRequest, "wrong_type",
                ["정정은 {\"reason\": 고친 이유(1,000자 이하), \"submission\": 고친 점검 전체} 로 보냅니다."], ct);
        }
        var (submission, problems) = InspectionSubmission.Parse(inner, DateTimeOffset.UtcNow);
        if (submission is null)
        {
            return await RefuseAsync(db, actor, topic, body, StatusCodes.Status400BadRequest, "wrong_type", problems, ct);
        }
        return await StoreAsync(db, actor, topic, body, ct, (conn, tx) =>
            InspectionStore.CorrectAsync(conn, tx, id, submission, reason, actor, http.User.FindFirstValue(ClaimTypes.Role)!, ct));
    }

    /// <summary>Runs a submission or correction in a transaction kept only when it created something, then answers it.</summary>
    private static async Task<IResult> StoreAsync(NpgsqlDataSource db, Actor actor, string topic, byte[] body, CancellationToken ct,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<SubmitOutcome>> store)
    {
        SubmitOutcome outcome;
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            outcome = await store(conn, tx);
            if (outcome is SubmitOutcome.Created)
            {
                await tx.CommitAsync(ct);
            }
            else
            {
                await tx.RollbackAsync(ct);
            }
        }
        return await AnswerAsync(db, actor, topic, body, outcome, ct);
    }

    private static async Task<IResult> AnswerAsync(NpgsqlDataSource db, Actor actor, string topic, byte[] body, SubmitOutcome outcome, CancellationToken ct) => outcome switch
    {
        SubmitOutcome.Created c => Results.Json(c.Receipt, statusCode: StatusCodes.Status201Created),
        SubmitOutcome.Same s => Results.Ok(s.Receipt),
        SubmitOutcome.Conflict c => await RefuseAsync(db, actor, topic, body, StatusCodes.Status409Conflict, "conflict",
            [$"같은 id 로 다른 내용의 점검이 이미 접수되었습니다 (접수번호 {c.Stored.Receipt}). 접수된 내용을 고치려면 정정으로 보내세요."], ct,
            new() { ["stored"] = new { version = 1, sha256 = c.Stored.Sha256, receipt = c.Stored.Receipt, receivedAt = c.Stored.ReceivedAt }, ["submitted"] = new { sha256 = c.SubmittedSha256 } }),
        SubmitOutcome.Forbidden f => await RefuseAsync(db, actor, topic, body, StatusCodes.Status403Forbidden, "forbidden", [f.Reason], ct),
        SubmitOutcome.CheckInMissing m => await RefuseAsync(db, actor, topic, body, StatusCodes.Status409Conflict, "checkin_missing",
            [$"이 점검이 기대는 체크인({m.CheckIn})이 아직 서버에 없습니다. 체크인을 먼저 보낸 뒤 다시 보내세요."], ct, new() { ["retry"] = true }),
        SubmitOutcome.Invalid i => await RefuseAsync(db, actor, topic, body, StatusCodes.Status400BadRequest, "invalid", i.Problems, ct),
        _ => throw new InvalidOperationException(outcome.GetType().Name),
    };

    private static async Task<IResult> GetAsync(HttpContext http, Guid id, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await InspectionStore.ReceiptAsync(conn, null, id, ct) is not { } found || !MaySee(http.User, found.InspectorId))
        {
            return Results.NotFound();
        }
        await using var cmd = new NpgsqlCommand("""
            SELECT v.version, v.content::text, encode(v.sha256, 'hex'), v.created_at, v.reason FROM inspection_version v WHERE v.inspection_id = $1 ORDER BY v.version
            """, conn) { Parameters = { new() { Value = id } } };
        var versions = new List<object>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                versions.Add(new
                {
                    version = reader.GetInt32(0),
                    content = JsonDocument.Parse(reader.GetString(1)).RootElement,
                    sha256 = reader.GetString(2),
                    createdAt = reader.GetFieldValue<DateTimeOffset>(3),
                    reason = reader.IsDBNull(4) ? null : reader.GetString(4),
                });
            }
        }
        return Results.Ok(new { receipt = found.Receipt, photoStatus = found.Receipt.PhotoStatus, versions });
    }

    private static async Task<IResult> ReceiptAsync(HttpContext http, Guid id, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await InspectionStore.ReceiptAsync(conn, null, id, ct) is { } found && MaySee(http.User, found.InspectorId)
            ? Results.Ok(found.Receipt)
            : Results.NotFound();
    }

    /// <summary>An inspector sees their own submissions; operators and administrators see all.</summary>
    private static bool MaySee(ClaimsPrincipal user, long inspectorId) =>
        user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Operator) || user.IsInRole(Roles.Viewer)
        || (long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var me) && me == inspectorId);

    private static async Task<IResult> RefuseAsync(NpgsqlDataSource db, Actor actor, string topic, byte[] body, int status, string code, List<string> problems,
        CancellationToken ct, Dictionary<string, object?>? extensions = null)
    {
        await DeadLetters.KeepAsync(db, actor, topic, code, string.Join(" ", problems), body, ct);
        extensions ??= [];
        extensions["code"] = code;
        extensions["problems"] = problems;
        var title = status switch
        {
            StatusCodes.Status409Conflict => "이미 접수된 점검과 다릅니다",
            StatusCodes.Status403Forbidden => "이 점검을 할 권한이 없습니다",
            _ => "점검을 받을 수 없습니다",
        };
        return Results.Problem(string.Join(" ", problems), title: code == "checkin_missing" ? "체크인이 먼저 필요합니다" : title, statusCode: status, extensions: extensions);
    }
}
