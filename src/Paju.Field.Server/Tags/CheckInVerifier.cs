using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Tags;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Tags;

/// <summary>What a check-in claims, from the app or a reader alike: the tag as read (URL and/or UID), or the asset chosen without one.</summary>
public sealed record CheckInClaim(string Method, string? Url, string? Uid, long? ChosenAssetId, CheckInPosition? Position);

/// <summary>
/// Decides what a check-in proves, inside the transaction that stores it, the same way for HTTP and MQTT:
/// the tag (by the URL's id or the chip's UID), its proof (SUN MAC and counter, or the static signature),
/// and the distance PostGIS measures from the position to the asset's nearest point. The verdict goes on
/// the check-in's row; a SUN counter is recorded so the same URL never proves a second visit.
/// </summary>
public sealed class CheckInVerifier(TagKeyStore keys, TagOptions options, ILogger<CheckInVerifier> log)
{
    public const string MeterName = "Paju.Field.CheckIns";

    // How long deciding takes (tag, SUN, counter, distance), for whatever collects .NET metrics (OpenTelemetry, dotnet-counters).
    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> VerifyDuration = Meter.CreateHistogram<double>(
        "paju.checkin.verify.duration", unit: "ms", description: "Time to verify a check-in: tag lookup, SUN or signature, counter, distance");

    // One round trip: the tag, its asset and — when there is a position — the distance in metres on the spheroid.
    private const string TagAndDistance = """
        SELECT t.id, t.type, t.uid, t.retired_at IS NOT NULL, t.asset_id,
               CASE WHEN $2::float8 IS NULL THEN NULL
                    ELSE ST_Distance(a.geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) END
        FROM tag t JOIN asset a ON a.id = t.asset_id
        """;

    // By the URL's tag id; by a UID, the active tag carrying it (else the newest retired one, to say so).
    private const string ById = TagAndDistance + " WHERE t.id = $1";
    private const string ByUid = TagAndDistance + " WHERE t.uid = $1 ORDER BY t.retired_at IS NOT NULL, t.retired_at DESC LIMIT 1";

    private const string AssetDistance = """
        SELECT a.id, ST_Distance(a.geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography)
        FROM asset a WHERE a.id = $1
        """;

    // A counter is fresh the first time it is seen; "late" when a higher one came first. Two requests racing with
    // the same counter meet at the primary key: one is fresh, the other a replay.
    private const string RecordCounter = """
        WITH inserted AS (
            INSERT INTO tag_counter (uid, counter) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
        SELECT EXISTS (SELECT 1 FROM inserted),
               EXISTS (SELECT 1 FROM tag_counter WHERE uid = $1 AND counter > $2)
        """;

    private const string StoreVerdict = """
        UPDATE checkin SET asset_id = $2, tag_id = $3, proof = $4, status = $5, flags = $6, distance_m = $7, sun_counter = $8, verified_at = now()
        WHERE id = $1
        """;

    /// <summary>Verifies a check-in already stored as row <paramref name="checkinId"/> (a device's, over MQTT) and writes the verdict on it.</summary>
    public async Task<CheckInVerdict> VerifyStoredAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long checkinId, CheckInClaim claim, CancellationToken ct)
    {
        var verdict = await DecideAsync(conn, tx, claim, ct);
        await using var store = new NpgsqlCommand(StoreVerdict, conn, tx)
        {
            Parameters =
            {
                new() { Value = checkinId },
                new() { Value = (object?)verdict.AssetId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                new() { Value = (object?)verdict.TagId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = verdict.Proof },
                new() { Value = verdict.Status },
                new() { Value = verdict.Flags.ToArray() },
                new() { Value = (object?)verdict.DistanceMetres ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
                new() { Value = (object?)verdict.Counter ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer },
            },
        };
        await store.ExecuteNonQueryAsync(ct);
        return verdict;
    }

    /// <summary>
    /// What a check-in proves, in the transaction that will store it. A SUN counter is recorded here, so a
    /// rolled-back transaction spends nothing and a committed one spends its counter for good.
    /// </summary>
    public async Task<CheckInVerdict> DecideAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CheckInClaim claim, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var verdict = await DecideUntimedAsync(conn, tx, claim, ct);
        VerifyDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("proof", verdict.Proof));
        return verdict;
    }

    private async Task<CheckInVerdict> DecideUntimedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CheckInClaim claim, CancellationToken ct)
    {
        var flags = new List<string>();
        if (claim.Url is null && claim.Uid is null)
        {
            // No tag: the person chose the asset from a list. Only the position speaks for the visit.
            flags.Add(CheckInFlags.NoTag);
            var chosenDistance = claim.Position is { } p ? await DistanceAsync(conn, tx, claim.ChosenAssetId!.Value, p, ct) : null;
            return Conclude(claim.ChosenAssetId, null, Proofs.None, null, chosenDistance, claim, flags);
        }

        TagUrl? url = null;
        if (claim.Url is not null)
        {
            (url, _) = TagUrl.Parse(claim.Url);
            if (url is null)
            {
                return CheckInVerdict.Unknown();
            }
        }
        await using var find = new NpgsqlCommand(url is null ? ByUid : ById, conn, tx)
        {
            Parameters =
            {
                new() { Value = url?.TagId ?? claim.Uid! },
                new() { Value = (object?)claim.Position?.Longitude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
                new() { Value = (object?)claim.Position?.Latitude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double },
            },
        };
        string tagId, type;
        string? knownUid;
        bool retired;
        long assetId;
        double? distance;
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return CheckInVerdict.Unknown();
            }
            tagId = reader.GetString(0);
            type = reader.GetString(1);
            knownUid = reader.IsDBNull(2) ? null : reader.GetString(2);
            retired = reader.GetBoolean(3);
            assetId = reader.GetInt64(4);
            distance = reader.IsDBNull(5) ? null : reader.GetDouble(5);
        }
        if (retired)
        {
            flags.Add(CheckInFlags.RetiredTag);
        }

        if (url is null)
        {
            // A UID alone can be cloned; from a registered fixed reader it is what that reader can give.
            if (claim.Method != CheckInMethods.Reader)
            {
                flags.Add(CheckInFlags.UidOnly);
            }
            return Conclude(assetId, tagId, Proofs.Uid, null, distance, claim, flags);
        }
        if (url.HasSun)
        {
            if (type != "ntag424" || keys.SunKeysOf(tagId) is not { } sunKeys)
            {
                if (type == "ntag424")
                {
                    log.LogWarning("NTAG 424 tag {Tag} has no keys in {KeyFile}: its SUN check-ins cannot verify", tagId, keys.Path);
                }
                return Conclude(assetId, tagId, Proofs.BadSignature, null, distance, claim, flags);
            }
            var reading = SunMessage.DecryptPiccData(sunKeys.Meta, url.PiccData);
            if (reading is not { } r || (knownUid is not null && r.Uid != knownUid)
                || !SunMessage.MacMatches(sunKeys.File, r, Encoding.ASCII.GetBytes(url.MacInput), url.Cmac))
            {
                return Conclude(assetId, tagId, Proofs.BadSignature, null, distance, claim, flags);
            }
            await using var counter = new NpgsqlCommand(RecordCounter, conn, tx)
            {
                Parameters = { new() { Value = r.Uid }, new() { Value = r.Counter } },
            };
            bool fresh, late;
            await using (var reader = await counter.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                fresh = reader.GetBoolean(0);
                late = reader.GetBoolean(1);
            }
            if (!fresh)
            {
                return Conclude(assetId, tagId, Proofs.Replayed, r.Counter, distance, claim, flags);
            }
            if (late)
            {
                flags.Add(CheckInFlags.LateCounter);
            }
            if (knownUid is null)
            {
                // The first genuine tap tells us the chip's UID: from now on only that chip's MAC counts for this tag.
                await using var learn = new NpgsqlCommand("UPDATE tag SET uid = $2 WHERE id = $1 AND uid IS NULL", conn, tx)
                {
                    Parameters = { new() { Value = tagId }, new() { Value = r.Uid } },
                };
                await learn.ExecuteNonQueryAsync(ct);
            }
            return Conclude(assetId, tagId, Proofs.Sun, r.Counter, distance, claim, flags);
        }
        if (url.Signature is not null && TagSignature.TryParse(url.Signature, out var version, out var signature)
            && keys.SigningKey(version) is { } key && TagSignature.Matches(key, tagId, signature))
        {
            return Conclude(assetId, tagId, Proofs.Signature, null, distance, claim, flags);
        }
        return Conclude(assetId, tagId, Proofs.BadSignature, null, distance, claim, flags);
    }

    private async Task<double?> DistanceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long assetId, CheckInPosition position, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(AssetDistance, conn, tx)
        {
            Parameters = { new() { Value = assetId }, new() { Value = position.Longitude }, new() { Value = position.Latitude } },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? reader.GetDouble(1) : null;
    }

    /// <summary>Presence by the configured distances, then the overall status.</summary>
    private CheckInVerdict Conclude(long? assetId, string? tagId, string proof, int? counter, double? distance, CheckInClaim claim, List<string> flags)
    {
        if (claim.Position is not { } position)
        {
            if (claim.Method != CheckInMethods.Reader)
            {
                flags.Add(CheckInFlags.NoPosition);
            }
        }
        else
        {
            if (position.AccuracyMetres > options.WarnAccuracyMetres)
            {
                flags.Add(CheckInFlags.LowAccuracy);
            }
            if (distance is { } d)
            {
                if (d > options.FlagBeyondMetres + position.AccuracyMetres)
                {
                    flags.Add(CheckInFlags.TooFar);
                }
                else if (d > Math.Max(options.PassMetres, position.AccuracyMetres))
                {
                    flags.Add(CheckInFlags.NotClose);
                }
            }
        }
        var status = Proofs.Refused(proof) ? CheckInStatuses.Refused
            : proof is Proofs.Sun or Proofs.Signature or Proofs.Uid && flags.Count == 0 ? CheckInStatuses.Verified
            : CheckInStatuses.Flagged;
        return new CheckInVerdict(assetId, tagId, proof, counter, distance is { } m ? Math.Round(m, 1) : null, status, flags);
    }
}
