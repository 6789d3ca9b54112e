using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Audit;
using Paju.Field.Tags;

namespace Paju.Field.Server.Tags;

public sealed record Tag(string Id, long AssetId, string AssetKind, string AssetCode, string AssetName, string Type, string? Uid,
    int KeyVersion, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, string? ReplacedBy)
{
    public bool Retired => RetiredAt is not null;

    /// <summary>The plate's URL: the static signature under the key version it was issued with (its QR code; an NTAG 424 adds SUN on top when tapped).</summary>
    public string Url(string baseUrl, TagKeyStore keys) =>
        TagUrl.For(baseUrl, Id, "s=" + TagSignature.Parameter(KeyVersion, keys.SigningKey(KeyVersion)
            ?? throw new PajuSetupException($"The signing key version {KeyVersion} of tag {Id} is missing from {keys.Path}."), Id));
}

public sealed class TagException(string message) : Exception(message);

/// <summary>Plates in the database (which asset, which chip, retired or not); their keys are in <see cref="TagKeyStore"/>.</summary>
public static class TagStore
{
    public static readonly IReadOnlyList<string> Types = ["qr", "ntag213", "ntag215", "ntag424"];

    // Crockford's alphabet in lower case: no i, l, o or u to misread from a plate.
    private const string IdAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    private const string Select = """
        SELECT t.id, t.asset_id, a.kind, a.code, a.name, t.type, t.uid, t.key_version, t.created_at, t.retired_at, t.replaced_by
        FROM tag t JOIN asset a ON a.id = t.asset_id
        """;

    public static string NewId() => RandomNumberGenerator.GetString(IdAlphabet, 10);

    /// <summary>Registers a tag for an asset; an NTAG 424's keys are generated unless given, and go to the key file.</summary>
    public static async Task<Tag> AddAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TagKeyStore keys, AssetRef asset, string type,
        string? uid, SunKeys? sunKeys, Actor actor, CancellationToken ct)
    {
        if (!Types.Contains(type))
        {
            throw new TagException($"태그 종류는 {string.Join(", ", Types)} 중 하나입니다.");
        }
        if (uid is not null && (uid = Telemetry.CheckIn.NormalizeUid(uid!)) is null)
        {
            throw new TagException("--uid 는 칩 UID(16진수 4·7·10바이트, 예: 04A2241A6D5E80)입니다.");
        }
        if (sunKeys is not null && type != "ntag424")
        {
            throw new TagException("--meta-key 와 --file-key 는 ntag424 태그에만 씁니다.");
        }
        if (uid is not null && await FindByUidAsync(conn, tx, uid, ct) is { } holder)
        {
            throw new TagException($"UID {uid} 는 이미 태그 {holder.Id} ({holder.AssetCode}) 에 등록되어 있습니다. 먼저 paju tag retire {holder.Id}");
        }
        var id = NewId();
        var (version, _) = keys.CurrentSigningKey();
        await using (var insert = new NpgsqlCommand("INSERT INTO tag (id, asset_id, type, uid, key_version) VALUES ($1, $2, $3, $4, $5)", conn, tx)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = asset.Id }, new() { Value = type },
                new() { Value = (object?)uid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }, new() { Value = version },
            },
        })
        {
            await insert.ExecuteNonQueryAsync(ct);
        }
        var generated = false;
        if (type == "ntag424")
        {
            generated = sunKeys is null;
            keys.SetSunKeys(id, sunKeys ?? new SunKeys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16)));
        }
        await AuditLog.WriteAsync(conn, tx, actor, "tag.add", "tag", id, new { asset = asset.Code, kind = asset.Kind, type, uid, keyVersion = version, keysGenerated = generated }, ct);
        return (await FindAsync(conn, tx, id, ct))!;
    }

    /// <summary>Retires a tag (lost, broken, stolen); with <paramref name="replaceWith"/> a new one of that type takes its place on the same asset.</summary>
    public static async Task<(Tag Retired, Tag? Replacement)> RetireAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TagKeyStore keys, string tagId,
        string? replaceWith, Actor actor, CancellationToken ct)
    {
        var tag = await FindAsync(conn, tx, tagId, ct) ?? throw new TagException($"태그 '{tagId}' 가 없습니다.");
        if (tag.Retired)
        {
            throw new TagException($"태그 '{tagId}' 는 이미 {tag.RetiredAt:yyyy-MM-dd} 에 폐기되었습니다.");
        }
        await using (var retire = new NpgsqlCommand("UPDATE tag SET retired_at = now() WHERE id = $1", conn, tx) { Parameters = { new() { Value = tagId } } })
        {
            await retire.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "tag.retire", "tag", tagId, new { asset = tag.AssetCode }, ct);
        if (replaceWith is null)
        {
            return ((await FindAsync(conn, tx, tagId, ct))!, null);
        }
        var replacement = await AddAsync(conn, tx, keys, new AssetRef(tag.AssetId, tag.AssetKind, tag.AssetCode, tag.AssetName), replaceWith, null, null, actor, ct);
        await using (var link = new NpgsqlCommand("UPDATE tag SET replaced_by = $2 WHERE id = $1", conn, tx)
        {
            Parameters = { new() { Value = tagId }, new() { Value = replacement.Id } },
        })
        {
            await link.ExecuteNonQueryAsync(ct);
        }
        return ((await FindAsync(conn, tx, tagId, ct))!, replacement);
    }

    public static async Task<Tag?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string tagId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Select + " WHERE t.id = $1", conn, tx) { Parameters = { new() { Value = tagId } } };
        return (await ReadAsync(cmd, ct)).FirstOrDefault();
    }

    private static async Task<Tag?> FindByUidAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string uid, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Select + " WHERE t.uid = $1 AND t.retired_at IS NULL", conn, tx) { Parameters = { new() { Value = uid } } };
        return (await ReadAsync(cmd, ct)).FirstOrDefault();
    }

    /// <summary>Tags by asset kind and/or code, active ones unless <paramref name="includeRetired"/>; in asset code order.</summary>
    public static async Task<List<Tag>> ListAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string? kind, string? assetCode, bool includeRetired, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Select + """
             WHERE ($1::text IS NULL OR a.kind = $1) AND ($2::text IS NULL OR a.code = $2) AND ($3 OR t.retired_at IS NULL)
             ORDER BY a.kind, a.code, t.created_at
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)assetCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = includeRetired },
            },
        };
        return await ReadAsync(cmd, ct);
    }

    /// <summary>A QR tag for every active asset of a kind that has no active tag; returns how many were made.</summary>
    public static async Task<int> AddMissingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TagKeyStore keys, string kind, string type, Actor actor,
        IProgress<int>? progress, CancellationToken ct)
    {
        var missing = new List<AssetRef>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT a.id, a.kind, a.code, a.name FROM asset a
            WHERE a.kind = $1 AND a.status = 'active'
              AND NOT EXISTS (SELECT 1 FROM tag t WHERE t.asset_id = a.id AND t.retired_at IS NULL)
            ORDER BY a.code
            """, conn, tx) { Parameters = { new() { Value = kind } } })
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                missing.Add(new AssetRef(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }
        foreach (var asset in missing)
        {
            await AddAsync(conn, tx, keys, asset, type, null, null, actor, ct);
            progress?.Report(1);
        }
        return missing.Count;
    }

    private static async Task<List<Tag>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var tags = new List<Tag>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            tags.Add(new Tag(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7), reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        }
        return tags;
    }
}
