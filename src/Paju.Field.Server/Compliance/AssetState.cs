using Npgsql;

namespace Paju.Field.Server.Compliance;

/// <summary>
/// An asset's state for the map and the feed: its latest grade, closed for use, overdue. When any of them changes, an
/// <c>asset.state</c> live event goes out in the same transaction (tiles follow through the asset table's own triggers).
/// </summary>
public static class AssetState
{
    // Reads the changed assets' state and appends one event naming them all.
    private const string Announce = $$"""
        SELECT live_event_append('{{Live.LiveEventTypes.AssetState}}', jsonb_build_object('assets', jsonb_agg(jsonb_build_object(
                   'kind', a.kind, 'code', a.code, 'grade', a.grade, 'closed', a.closed_at IS NOT NULL,
                   'closedReason', a.closed_reason, 'overdue', a.overdue) ORDER BY a.id)))
        FROM asset a WHERE a.id = ANY ($1)
        HAVING count(*) > 0
        """;

    /// <summary>The map's severity follows the state (<c>asset_severity</c>: closed 3, otherwise by its grade); clusters keep the worst.</summary>
    public static async Task RestyleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long assetId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE asset SET severity = coalesce(asset_severity(kind, id), 0)
            WHERE id = $1 AND severity <> coalesce(asset_severity(kind, id), 0)
            """, conn, tx) { Parameters = { new() { Value = assetId } } };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task AnnounceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyCollection<long> assetIds, CancellationToken ct)
    {
        if (assetIds.Count == 0)
        {
            return;
        }
        await using var cmd = new NpgsqlCommand(Announce, conn, tx) { Parameters = { new() { Value = assetIds.ToArray() } } };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
