using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// Keeping what a person's request sent when it is refused, like a device's dead letter: the reason and the bytes,
/// for an operator to read at /api/dead-letters. Topics of HTTP requests start with "http:".
/// </summary>
public static class DeadLetters
{
    /// <summary>
    /// A refused request's topic: "http:POST /api/events/E-2027-001/plan", the method and the path as requested, so
    /// that one filter on "http:" finds every refusal a person met and the path says which thing it concerned.
    /// </summary>
    public static string TopicOf(HttpRequest request) =>
        Paju.Field.Json.PostgresText.Storable($"http:{request.Method} {request.Path}");

    public static async Task KeepAsync(NpgsqlDataSource db, Actor actor, string topic, string code, string reason, byte[] payload, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO dead_letter (received_at, client_id, username, topic, reason_code, reason, payload) VALUES (now(), $1, $2, $3, $4, $5, $6)
            """);
        cmd.Parameters.Add(new() { Value = (object?)actor.RemoteAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = actor.Name });
        cmd.Parameters.Add(new() { Value = topic });
        cmd.Parameters.Add(new() { Value = code });
        cmd.Parameters.Add(new() { Value = reason });
        cmd.Parameters.Add(new() { Value = payload });
        // Kept even when the client has gone: the refusal is what the operator needs to see.
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
