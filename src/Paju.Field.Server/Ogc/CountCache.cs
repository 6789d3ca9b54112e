using System.Collections.Concurrent;
using System.Text;
using Npgsql;

namespace Paju.Field.Server.Ogc;

/// <summary>
/// Exact counts for numberMatched without recounting 100,000 rows on every page: a count is kept
/// under the registry revision it was computed at (the same snapshot), and reused only while the
/// revision is unchanged. Any write to the registry bumps the revision (triggers, migration 0002),
/// so a hit is exactly what a fresh count would say.
/// </summary>
public sealed class CountCache
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (long Revision, long Count)> _counts = new();

    public async Task<long> CountAsync(NpgsqlConnection conn, string countSql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken ct)
    {
        var key = Key(countSql, parameters);
        await using (var revisionCmd = new NpgsqlCommand("SELECT revision FROM registry_revision", conn))
        {
            var revision = (long)(await revisionCmd.ExecuteScalarAsync(ct))!;
            if (_counts.TryGetValue(key, out var cached) && cached.Revision == revision)
            {
                return cached.Count;
            }
        }

        // Revision and count from one statement, so they describe the same snapshot. Serial like every statement
        // of the server: a parallel plan saved time only on whole-city recounts and cost it on the small bbox
        // counts a map pan makes (./paju bench ogc, 2026-12-01).
        await using var cmd = new NpgsqlCommand($"SELECT (SELECT revision FROM registry_revision), ({countSql})", conn);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(p.Clone());
        }
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (atRevision, count) = (reader.GetInt64(0), reader.GetInt64(1));
        if (_counts.Count >= MaxEntries)
        {
            _counts.Clear();
        }
        _counts[key] = (atRevision, count);
        return count;
    }

    private static string Key(string sql, IReadOnlyList<NpgsqlParameter> parameters)
    {
        var key = new StringBuilder(sql);
        foreach (var p in parameters)
        {
            key.Append('\u001f').Append(p.Value?.GetType().Name).Append(':').Append(Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        return key.ToString();
    }
}
