using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Inspections;

public sealed record ProgramView(string Code, int Version, string Department, string DepartmentName, string SubjectKind, ProgramDefinition Definition,
    DateTimeOffset CreatedAt, string CreatedBy);

public sealed class ProgramException(string message) : Exception(message);

/// <summary>Programs and their versions. A version is never changed once written: an edit adds the next one and makes it current.</summary>
public static class ProgramStore
{
    private const string Select = """
        SELECT p.code, v.version, p.department, d.name, p.subject_kind, v.definition::text, v.created_at, v.created_by
        FROM program p JOIN program_version v ON v.program = p.code JOIN department d ON d.code = p.department
        """;

    public static async Task<List<ProgramView>> CurrentAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Select + " WHERE v.version = p.current_version ORDER BY p.code", conn, tx);
        return await ReadAsync(cmd, ct);
    }

    public static async Task<ProgramView?> VersionAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string code, int? version, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Select + " WHERE p.code = $1 AND v.version = coalesce($2, p.current_version)", conn, tx)
        {
            Parameters = { new() { Value = code }, new() { Value = (object?)version ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer } },
        };
        return (await ReadAsync(cmd, ct)).FirstOrDefault();
    }

    public static async Task<List<ProgramView>> VersionsAsync(NpgsqlConnection conn, string code, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Select + " WHERE p.code = $1 ORDER BY v.version", conn) { Parameters = { new() { Value = code } } };
        return await ReadAsync(cmd, ct);
    }

    /// <summary>Stores an edited definition as the program's next version and makes it current.</summary>
    public static async Task<ProgramView> AddVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string code, string definitionJson, Actor actor, CancellationToken ct)
    {
        var (definition, problem) = ProgramDefinition.Parse(definitionJson);
        if (definition is null)
        {
            throw new ProgramException(problem!);
        }
        await using var cmd = new NpgsqlCommand("""
            WITH next AS (
                UPDATE program SET current_version = (SELECT max(version) + 1 FROM program_version WHERE program = $1)
                WHERE code = $1 RETURNING current_version)
            INSERT INTO program_version (program, version, definition, created_by)
            SELECT $1, current_version, $2, $3 FROM next
            RETURNING version
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = code },
                new() { Value = JsonSerializer.Serialize(definition, ProgramDefinition.Json), NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = actor.Name },
            },
        };
        var version = (int?)await cmd.ExecuteScalarAsync(ct) ?? throw new ProgramException($"프로그램 '{code}' 가 없습니다.");
        await AuditLog.WriteAsync(conn, tx, actor, "program.version", "program", code, new { version, definition.Name }, ct);
        return (await VersionAsync(conn, tx, code, version, ct))!;
    }

    private static async Task<List<ProgramView>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<ProgramView>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            list.Add(new ProgramView(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                JsonSerializer.Deserialize<ProgramDefinition>(reader.GetString(5), ProgramDefinition.Json)!,
                reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7)));
        }
        return list;
    }
}
