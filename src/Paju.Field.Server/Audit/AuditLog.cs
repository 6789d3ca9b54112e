using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Paju.Field.Server.Audit;

/// <summary>
/// Every write is audited by calling this inside the write's own transaction: the change and
/// its record commit together or not at all. Actions are dotted verbs (<c>user.create</c>,
/// <c>seed.sample</c>); the detail is a small JSON object a person can read.
/// </summary>
public static class AuditLog
{
    private const string InsertSql = """
        INSERT INTO audit_log (actor_user_id, actor, via, remote_addr, action, entity_type, entity_id, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """;

    public static async Task WriteAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, Actor actor, string action,
        string? entityType = null, string? entityId = null, object? detail = null, CancellationToken ct = default)
    {
        await using var cmd = new NpgsqlCommand(InsertSql, conn, tx)
        {
            Parameters =
            {
                new() { Value = (object?)actor.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                new() { Value = actor.Name },
                new() { Value = actor.Via },
                new() { Value = (object?)actor.RemoteAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = action },
                new() { Value = (object?)entityType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)entityId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = JsonSerializer.Serialize(detail ?? new { }), NpgsqlDbType = NpgsqlDbType.Jsonb },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
