using Npgsql;
using NpgsqlTypes;

namespace Paju.Field.Server.Tags;

/// <summary>An asset named the way people name it: its code, and its kind when the code alone is not unique.</summary>
public sealed record AssetRef(long Id, string Kind, string Code, string Name)
{
    /// <exception cref="TagException">No such asset, or the code exists in several kinds and no kind was given.</exception>
    public static async Task<AssetRef> ResolveAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string code, string? kind, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT id, kind, code, name FROM asset WHERE code = $1 AND ($2::text IS NULL OR kind = $2) AND status = 'active' ORDER BY kind LIMIT 2
            """, conn, tx)
        {
            Parameters = { new() { Value = code }, new() { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } },
        };
        var found = new List<AssetRef>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                found.Add(new AssetRef(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }
        return found.Count switch
        {
            0 => throw new TagException(kind is null ? $"자산 코드 '{code}' 가 없습니다 (폐지된 자산은 제외)." : $"{kind} 에 자산 코드 '{code}' 가 없습니다."),
            1 => found[0],
            _ => throw new TagException($"자산 코드 '{code}' 가 여러 종류({string.Join(", ", found.Select(f => f.Kind))})에 있습니다. 종류를 함께 주세요 (--kind)."),
        };
    }
}
