using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Paju.Field.Server.Tags;

public sealed record CheckInAsset(string Kind, string Code, string Name);

/// <summary>A check-in as the app and operators see it: what was read, what it proved, and in words why.</summary>
public sealed record CheckInView(
    Guid? Id, long Number, string Method, DateTimeOffset Time, DateTimeOffset ReceivedAt, string? User, string? Device,
    CheckInAsset? Asset, string? Tag, string? Proof, string? Status, string[] Flags, double? DistanceMetres, double? AccuracyMetres,
    int? Counter, string[] Messages);

/// <summary>Reading check-ins back (the first answer to a resubmission, the review list) in one shape.</summary>
public static class CheckInRecords
{
    private const string Select = $"""
        SELECT {Columns}
        FROM checkin c
        {Joins}
        """;

    private const string Columns = """
        c.client_id, c.id, c.method, c.ts, c.received_at, u.username, d.device_id, a.kind, a.code, a.name, c.tag_id, c.proof, c.status,
        c.flags, c.distance_m, c.accuracy_m, c.sun_counter, c.user_id
        """;

    private const string Joins = """
        LEFT JOIN app_user u ON u.id = c.user_id
        LEFT JOIN device d ON d.id = c.device
        LEFT JOIN asset a ON a.id = c.asset_id
        """;

    // The app's check-in stored with its verdict, read back in the same shape in the same round trip; nothing when the id is taken.
    private const string InsertVerified = $"""
        WITH c AS (
            INSERT INTO checkin (client_id, user_id, method, ts, received_at, uid, url, position, accuracy_m,
                                 asset_id, tag_id, proof, status, flags, distance_m, sun_counter, verified_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8::float8 IS NOT NULL THEN ST_SetSRID(ST_MakePoint($9, $8), 4326) END, $10,
                    $11, $12, $13, $14, $15, $16, $17, $5)
            ON CONFLICT (client_id) DO NOTHING
            RETURNING *)
        SELECT {Columns}
        FROM c
        {Joins}
        """;

    /// <summary>Stores an app's check-in with its verdict; null when a check-in with that id exists already (read that one instead).</summary>
    public static async Task<CheckInView?> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Paju.Field.Tags.CheckInSubmission s, long userId,
        DateTimeOffset receivedAt, CheckInVerdict v, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(InsertVerified, conn, tx)
        {
            Parameters =
            {
                new() { Value = s.Id },
                new() { Value = userId },
                new() { Value = s.Method },
                new() { Value = s.ClientTime ?? receivedAt },
                new() { Value = receivedAt },
                new() { Value = (object?)s.Uid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)s.Url ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)s.Position?.Latitude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
                new() { Value = (object?)s.Position?.Longitude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
                new() { Value = (object?)s.Position?.AccuracyMetres ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
                new() { Value = (object?)v.AssetId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                new() { Value = (object?)v.TagId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = v.Proof },
                new() { Value = v.Status },
                new() { Value = v.Flags.ToArray() },
                new() { Value = (object?)v.DistanceMetres ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
                new() { Value = (object?)v.Counter ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer },
            },
        };
        var stored = await ReadAsync(cmd, ct);
        return stored.Count == 0 ? null : stored[0].View;
    }

    public static async Task<(CheckInView View, long? UserId)?> FindByClientIdAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Select + " WHERE c.client_id = $1", conn, tx) { Parameters = { new() { Value = id } } };
        var found = await ReadAsync(cmd, ct);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Newest first; <paramref name="statuses"/> filters (the review list is "flagged,refused"), <paramref name="before"/> pages by number.</summary>
    public static async Task<List<CheckInView>> ListAsync(NpgsqlDataSource db, string[]? statuses, string? assetCode, long? before, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(Select + $"""
             WHERE ($1::text[] IS NULL OR c.status = ANY ($1)) AND ($2::text IS NULL OR a.code = $2) AND ($3::bigint IS NULL OR c.id < $3)
             ORDER BY c.id DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
            """, conn)
        {
            Parameters =
            {
                new() { Value = (object?)statuses ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = (object?)assetCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
            },
        };
        return [.. (await ReadAsync(cmd, ct)).Select(f => f.View)];
    }

    private static async Task<List<(CheckInView View, long? UserId)>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<(CheckInView View, long? UserId)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var proof = reader.IsDBNull(11) ? null : reader.GetString(11);
            var flags = reader.GetFieldValue<string[]>(13);
            var distance = reader.IsDBNull(14) ? (double?)null : reader.GetDouble(14);
            var view = new CheckInView(
                reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : new CheckInAsset(reader.GetString(7), reader.GetString(8), reader.GetString(9)),
                reader.IsDBNull(10) ? null : reader.GetString(10), proof, reader.IsDBNull(12) ? null : reader.GetString(12), flags,
                distance, reader.IsDBNull(15) ? null : reader.GetDouble(15), reader.IsDBNull(16) ? null : reader.GetInt32(16),
                Messages(proof, flags, distance));
            list.Add((view, reader.IsDBNull(17) ? null : reader.GetInt64(17)));
        }
        return list;
    }

    /// <summary>The verdict in Korean, for the inspector's screen and the operator's list.</summary>
    public static string[] Messages(string? proof, string[] flags, double? distance)
    {
        var lines = new List<string>();
        lines.Add(proof switch
        {
            Proofs.Sun => "NFC 태그(NTAG 424 SUN)를 확인했습니다: 이번 태그 읽기는 진짜입니다.",
            Proofs.Signature => "표지의 서명을 확인했습니다: 시가 발급한 QR·태그 주소입니다.",
            Proofs.Uid => "태그 칩의 UID로 시설을 찾았습니다.",
            Proofs.None => "태그 없이 고른 시설입니다.",
            Proofs.BadSignature => "태그 서명이 맞지 않습니다: 시가 발급한 표지의 주소가 아니거나 주소가 바뀌었습니다. 체크인 증거로 쓸 수 없습니다.",
            Proofs.Replayed => "이미 한 번 쓰인 태그 주소입니다(같은 카운터): 복사한 주소로는 체크인할 수 없습니다. 태그를 다시 대 주세요.",
            Proofs.UnknownTag => "등록되지 않은 태그입니다. 관리자에게 표지 번호를 알려 주세요.",
            null => "아직 확인하지 않았습니다.",
            _ => proof,
        });
        if (distance is { } d)
        {
            lines.Add($"시설까지 거리: {d.ToString("0.#", CultureInfo.InvariantCulture)} m");
        }
        lines.AddRange(flags.Select(f => CheckInFlags.All.FirstOrDefault(x => x.Code == f)?.Korean ?? f));
        return [.. lines];
    }
}
