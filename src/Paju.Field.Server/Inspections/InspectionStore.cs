using Npgsql;
using Paju.Field.Server.Database;
using NpgsqlTypes;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Tags;

namespace Paju.Field.Server.Inspections;

/// <summary>What the inspector gets back, and can fetch again: the 접수번호, the server's time, the SHA-256 of what was submitted.</summary>
public sealed record InspectionReceipt(
    Guid Id, string Receipt, DateTimeOffset ReceivedAt, string Sha256, int Version, string Program, int ProgramVersion, CheckInAsset Asset,
    string? Grade, DateTimeOffset FinishedAt, int PhotosExpected, int PhotosReceived, string Inspector)
{
    public string PhotoStatus => PhotoStatusText(PhotosReceived, PhotosExpected);

    /// <summary>"사진 n/m" until every announced photo arrived.</summary>
    public static string PhotoStatusText(int received, int expected) =>
        expected == 0 ? "사진 없음" : received == expected ? $"사진 {received}/{expected} 완료" : $"사진 {received}/{expected}";
}

/// <summary>How a submission ended, for the endpoint to answer.</summary>
public abstract record SubmitOutcome
{
    public sealed record Created(InspectionReceipt Receipt) : SubmitOutcome;
    public sealed record Same(InspectionReceipt Receipt) : SubmitOutcome;
    public sealed record Conflict(InspectionReceipt Stored, string SubmittedSha256) : SubmitOutcome;
    public sealed record Forbidden(string Reason) : SubmitOutcome;
    public sealed record Invalid(List<string> Problems) : SubmitOutcome;
    public sealed record CheckInMissing(Guid CheckIn) : SubmitOutcome;
}

/// <summary>
/// Inspections in the database. The phone's UUID is the idempotency key (ODK Central's rule): the same id with the same
/// canonical content is the same inspection, answered with the same receipt; the same id with other content is refused
/// and both are named. A correction is a new version, never an overwrite. Everything is audited in its transaction.
/// </summary>
public static class InspectionStore
{
    private const string ReceiptSelect = """
        SELECT i.id, i.receipt, i.received_at, v.sha256, i.current_version, i.program, i.program_version, a.kind, a.code, a.name,
               i.grade, i.finished_at, i.photos_expected, i.photos_received, u.username, i.inspector_id
        FROM inspection i
        JOIN inspection_version v ON v.inspection_id = i.id AND v.version = 1
        JOIN asset a ON a.id = i.asset_id
        JOIN app_user u ON u.id = i.inspector_id
        """;

    public static async Task<(InspectionReceipt Receipt, long InspectorId)?> ReceiptAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ReceiptSelect + " WHERE i.id = $1", conn, tx) { Parameters = { new() { Value = id } } };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return (new InspectionReceipt(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
            Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(3)), reader.GetInt32(4), reader.GetString(5), reader.GetInt32(6),
            new CheckInAsset(reader.GetString(7), reader.GetString(8), reader.GetString(9)), reader.IsDBNull(10) ? null : reader.GetString(10),
            reader.GetFieldValue<DateTimeOffset>(11), reader.GetInt32(12), reader.GetInt32(13), reader.GetString(14)), reader.GetInt64(15));
    }

    /// <param name="receipts">Where receipt numbers are drawn, outside this transaction (see <see cref="NextReceiptAsync"/>).</param>
    public static async Task<SubmitOutcome> SubmitAsync(NpgsqlConnection conn, NpgsqlTransaction tx, NpgsqlDataSource receipts, Guid id, InspectionSubmission s,
        Actor actor, string role, CancellationToken ct)
    {
        if (await ExistingAsync(conn, tx, id, s, actor, ct) is { } existing)
        {
            return existing;
        }
        var (checkedSubject, refusal) = await CheckAsync(conn, tx, s, actor, role, ct);
        if (refusal is not null)
        {
            return refusal;
        }
        var (assetId, checkinRow, program) = checkedSubject!.Value;
        var receivedAt = DateTimeOffset.UtcNow;
        // An event's joint inspection is a step of its review: only when the review allows it, by those who run it.
        if (program.SubjectKind == Assets.AssetKinds.Event
            && await Events.EventJointInspection.RefusalAsync(conn, tx, s.SubjectCode, actor, receivedAt, ct) is { } eventRefusal)
        {
            return eventRefusal.Forbidden ? new SubmitOutcome.Forbidden(eventRefusal.Reason) : new SubmitOutcome.Invalid([eventRefusal.Reason]);
        }
        var receipt = await NextReceiptAsync(receipts, receivedAt, ct);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO inspection (id, receipt, received_at, program, program_version, asset_id, inspector_id, checkin_id, grade, finished_at, photos_expected)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (id) DO NOTHING
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = receipt }, new() { Value = receivedAt }, new() { Value = s.Program }, new() { Value = s.ProgramVersion },
                new() { Value = assetId }, new() { Value = actor.UserId!.Value },
                new() { Value = (object?)checkinRow ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                new() { Value = (object?)s.Grade ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = s.FinishedAt }, new() { Value = s.Photos.Count },
            },
        })
        {
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                // The same id arrived twice at once: the other request stored it; answer as a resubmission.
                return (await ExistingAsync(conn, tx, id, s, actor, ct))!;
            }
        }
        await InsertVersionAsync(conn, tx, id, 1, s, actor.UserId!.Value, receivedAt, null, ct);
        await InsertPhotosAsync(conn, tx, id, s.Photos, ct);
        await Compliance.ComplianceEffects.ApplyAsync(conn, tx, id, assetId, s, program, actor, ct);
        if (program.SubjectKind == Assets.AssetKinds.Event)
        {
            await Events.EventJointInspection.RecordAsync(conn, tx, s.SubjectCode, id, actor, ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "inspection.submit", "inspection", id.ToString(),
            new { receipt, program = s.Program, version = s.ProgramVersion, asset = s.SubjectCode, s.Grade, photos = s.Photos.Count, sha256 = InspectionSubmission.Hex(s.Sha256) }, ct);
        // Last in the transaction (the live log's rule): the room's campaign counts follow each filed check.
        await using (var live = new NpgsqlCommand("""
            SELECT live_event_append($1, jsonb_build_object('asset', $2::text, 'kind', $3::text, 'program', $4::text, 'receipt', $5::text))
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = Live.LiveEventTypes.InspectionFiled }, new() { Value = s.SubjectCode }, new() { Value = s.SubjectKind },
                new() { Value = s.Program }, new() { Value = receipt },
            },
        })
        {
            await live.ExecuteNonQueryAsync(ct);
        }
        return new SubmitOutcome.Created((await ReceiptAsync(conn, tx, id, ct))!.Value.Receipt);
    }

    /// <summary>A correction: the next version of an inspection, by its own inspector (or an administrator), with the reason.</summary>
    public static async Task<SubmitOutcome> CorrectAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, InspectionSubmission s, string reason,
        Actor actor, string role, CancellationToken ct)
    {
        await using (var lockRow = new NpgsqlCommand("SELECT inspector_id, asset_id, program FROM inspection WHERE id = $1 FOR UPDATE", conn, tx)
        {
            Parameters = { new() { Value = id } },
        })
        await using (var reader = await lockRow.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return new SubmitOutcome.Invalid([$"점검 {id} 가 없습니다."]);
            }
            if (reader.GetInt64(0) != actor.UserId && role != Roles.Admin)
            {
                return new SubmitOutcome.Forbidden("다른 사람이 접수한 점검은 고칠 수 없습니다. 고칠 것이 있으면 접수한 점검원이나 관리자에게 알리세요.");
            }
        }
        var (checkedSubject, refusal) = await CheckAsync(conn, tx, s, actor, role, ct);
        if (refusal is not null)
        {
            return refusal;
        }
        await using var next = new NpgsqlCommand("""
            UPDATE inspection SET current_version = current_version + 1, grade = $2, finished_at = $3, asset_id = $4
            WHERE id = $1 RETURNING current_version
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = (object?)s.Grade ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }, new() { Value = s.FinishedAt },
                new() { Value = checkedSubject!.Value.AssetId },
            },
        };
        var version = (int)(await next.ExecuteScalarAsync(ct))!;
        await InsertVersionAsync(conn, tx, id, version, s, actor.UserId!.Value, DateTimeOffset.UtcNow, reason, ct);
        var added = await InsertPhotosAsync(conn, tx, id, s.Photos, ct);
        await Compliance.ComplianceEffects.ApplyAsync(conn, tx, id, checkedSubject.Value.AssetId, s, checkedSubject.Value.Program, actor, ct);
        if (added > 0)
        {
            await using var count = new NpgsqlCommand("UPDATE inspection SET photos_expected = photos_expected + $2 WHERE id = $1", conn, tx)
            {
                Parameters = { new() { Value = id }, new() { Value = added } },
            };
            await count.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "inspection.correct", "inspection", id.ToString(),
            new { version, reason, s.Grade, sha256 = InspectionSubmission.Hex(s.Sha256) }, ct);
        return new SubmitOutcome.Created((await ReceiptAsync(conn, tx, id, ct))!.Value.Receipt);
    }

    private static async Task<SubmitOutcome?> ExistingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, InspectionSubmission s, Actor actor, CancellationToken ct)
    {
        if (await ReceiptAsync(conn, tx, id, ct) is not { } existing)
        {
            return null;
        }
        if (existing.InspectorId != actor.UserId)
        {
            return new SubmitOutcome.Forbidden($"점검 id {id} 는 다른 사람이 이미 접수했습니다. 앱이 새 id 로 다시 만들어야 합니다.");
        }
        return existing.Receipt.Sha256 == InspectionSubmission.Hex(s.Sha256)
            ? new SubmitOutcome.Same(existing.Receipt)
            : new SubmitOutcome.Conflict(existing.Receipt, InspectionSubmission.Hex(s.Sha256));
    }

    /// <summary>The program version, the asset, who may inspect it, the check-in it rests on, and the answers.</summary>
    private static async Task<((long AssetId, long? CheckinRow, ProgramView Program)?, SubmitOutcome?)> CheckAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        InspectionSubmission s, Actor actor, string role, CancellationToken ct)
    {
        var program = await ProgramStore.VersionAsync(conn, tx, s.Program, s.ProgramVersion, ct);
        if (program is null)
        {
            return (null, new SubmitOutcome.Invalid([$"프로그램 '{s.Program}' 의 버전 {s.ProgramVersion} 이 없습니다. 앱이 프로그램을 새로 받아야 합니다."]));
        }
        if (program.SubjectKind != s.SubjectKind)
        {
            return (null, new SubmitOutcome.Invalid([$"'{program.Definition.Name}' 은(는) {Assets.AssetKinds.KoreanName(program.SubjectKind)} 을(를) 점검하는 프로그램입니다."]));
        }
        await using var find = new NpgsqlCommand("""
            SELECT a.id, a.managing_body_id, pf.facility_type, u.managing_body_id
            FROM asset a LEFT JOIN public_facility pf ON pf.asset_id = a.id, app_user u
            WHERE a.kind = $1 AND a.code = $2 AND a.status = 'active' AND u.id = $3
            """, conn, tx)
        {
            Parameters = { new() { Value = s.SubjectKind }, new() { Value = s.SubjectCode }, new() { Value = actor.UserId!.Value } },
        };
        long assetId;
        long? assetBody, userBody;
        string? facilityType;
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return (null, new SubmitOutcome.Invalid([$"{Assets.AssetKinds.KoreanName(s.SubjectKind)} '{s.SubjectCode}' 가 없습니다 (폐지된 시설 제외)."]));
            }
            assetId = reader.GetInt64(0);
            assetBody = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            facilityType = reader.IsDBNull(2) ? null : reader.GetString(2);
            userBody = reader.IsDBNull(3) ? null : reader.GetInt64(3);
        }
        if (role == Roles.ManagingBody && (assetBody is null || assetBody != userBody))
        {
            return (null, new SubmitOutcome.Forbidden($"관리주체는 맡은 시설만 점검할 수 있습니다. '{s.SubjectCode}' 는 이 관리주체의 시설이 아닙니다."));
        }
        long? checkinRow = null;
        if (s.CheckIn is { } checkIn)
        {
            await using var cmd = new NpgsqlCommand("SELECT id, user_id, asset_id FROM checkin WHERE client_id = $1", conn, tx) { Parameters = { new() { Value = checkIn } } };
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return (null, new SubmitOutcome.CheckInMissing(checkIn));
            }
            if (reader.GetInt64(1) != actor.UserId)
            {
                return (null, new SubmitOutcome.Invalid(["이 점검이 기대는 체크인은 다른 사람의 것입니다."]));
            }
            if (reader.IsDBNull(2) || reader.GetInt64(2) != assetId)
            {
                return (null, new SubmitOutcome.Invalid([$"체크인한 시설과 점검한 시설 '{s.SubjectCode}' 가 다릅니다."]));
            }
            checkinRow = reader.GetInt64(0);
        }
        var problems = program.Definition.CheckAnswers(s.Answers, s.Grade, facilityType, s.Photos.Select(p => p.Id).ToHashSet());
        return problems.Count > 0 ? (null, new SubmitOutcome.Invalid(problems)) : ((assetId, checkinRow, program), null);
    }

    /// <summary>P-{Seoul date}-{n}, drawn outside the submission's transaction (see <see cref="DailyReceipts"/>).</summary>
    private static Task<string> NextReceiptAsync(NpgsqlDataSource receipts, DateTimeOffset at, CancellationToken ct) =>
        DailyReceipts.NextAsync(receipts, "receipt_counter", "P", 5, at, ct);

    private static async Task InsertVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, int version, InspectionSubmission s, long userId,
        DateTimeOffset at, string? reason, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO inspection_version (inspection_id, version, content, sha256, created_at, created_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = version }, new() { Value = s.Canonical, NpgsqlDbType = NpgsqlDbType.Jsonb }, new() { Value = s.Sha256 },
                new() { Value = at }, new() { Value = userId }, new() { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <returns>How many photos were new (a correction may repeat photos already announced).</returns>
    private static async Task<int> InsertPhotosAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, IReadOnlyList<PhotoAnnouncement> photos, CancellationToken ct)
    {
        if (photos.Count == 0)
        {
            return 0;
        }
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO inspection_photo (inspection_id, photo_id, sha256, bytes, taken_at, position, source, purpose)
            SELECT $1, p.id, p.sha, p.bytes, p.taken_at, CASE WHEN p.lat IS NOT NULL THEN ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326) END, p.source, p.purpose
            FROM unnest($2::uuid[], $3::bytea[], $4::integer[], $5::timestamptz[], $6::float8[], $7::float8[], $8::text[], $9::text[])
                 AS p(id, sha, bytes, taken_at, lat, lon, source, purpose)
            ON CONFLICT DO NOTHING
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = id },
                new() { Value = photos.Select(p => p.Id).ToArray() },
                new() { Value = photos.Select(p => p.Sha256).ToArray() },
                new() { Value = photos.Select(p => p.Bytes).ToArray() },
                new() { Value = photos.Select(p => p.TakenAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                new() { Value = photos.Select(p => p.Position?.Latitude).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double },
                new() { Value = photos.Select(p => p.Position?.Longitude).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double },
                new() { Value = photos.Select(p => p.Source).ToArray() },
                new() { Value = photos.Select(p => p.Purpose).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            },
        };
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
