using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Devices;

namespace Paju.Field.Server.Ingest;

public sealed record DeadLetterView(long Id, DateTimeOffset ReceivedAt, string? ClientId, string? Username, string Topic,
    string ReasonCode, string Reason, string? PayloadText, string PayloadBase64);

public sealed record DeviceView(string DeviceId, string Site, string Role, string? Asset, bool Disabled, bool Online, DateTimeOffset? LastSeenAt);

/// <summary>/api/dead-letters and /api/devices: what operators look at when a device misbehaves.</summary>
public static class IngestEndpoints
{
    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/dead-letters", ListDeadLetters).RequireAuthorization(Policies.Operator);
        app.MapGet("/api/dead-letters/counts", Counts).RequireAuthorization(Policies.Operator);
        app.MapGet("/api/devices", ListDevices).RequireAuthorization(Policies.Operator);
    }

    /// <summary>Newest first; <c>?reason=out_of_range</c> filters, <c>?before=id</c> pages.</summary>
    private static async Task<Results<Ok<List<DeadLetterView>>, ProblemHttpResult>> ListDeadLetters(
        NpgsqlDataSource db, string? reason, long? before, int? limit, CancellationToken ct)
    {
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        await using var cmd = db.CreateCommand($"""
            SELECT id, received_at, client_id, username, topic, reason_code, reason, payload FROM dead_letter
            WHERE ($1::text IS NULL OR reason_code = $1) AND ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC LIMIT {take}
            """);
        cmd.Parameters.Add(new() { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<DeadLetterView>();
        while (await reader.ReadAsync(ct))
        {
            var payload = reader.GetFieldValue<byte[]>(7);
            list.Add(new DeadLetterView(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetString(6), AsText(payload), Convert.ToBase64String(payload)));
        }
        return TypedResults.Ok(list);
    }

    private static async Task<Ok<Dictionary<string, long>>> Counts(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT reason_code, count(*) FROM dead_letter GROUP BY reason_code ORDER BY 1");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var counts = new Dictionary<string, long>();
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        return TypedResults.Ok(counts);
    }

    private static async Task<Ok<IEnumerable<DeviceView>>> ListDevices(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok((await DeviceStore.ListAsync(conn, ct))
            .Select(d => new DeviceView(d.DeviceId, d.Site, d.Role, d.AssetCode, d.Disabled, d.Online, d.LastSeenAt)));
    }

    private static string? AsText(byte[] payload)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
