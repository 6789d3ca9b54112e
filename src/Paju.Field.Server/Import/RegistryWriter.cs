using Npgsql;
using Paju.Field.Server.Database;

namespace Paju.Field.Server.Import;

/// <summary>What a batch did to the registry.</summary>
public sealed record WriteCounts(int Inserted, int Updated, int Unchanged, int Retired, int AreasReassigned);

/// <summary>
/// Writes checked rows into the registry inside the import's transaction: the rows it is about to
/// overwrite are saved first (for undo), changed rows updated, new ones inserted carrying the
/// batch's id, rows whose content is the same left untouched — so a re-import of the same file
/// changes nothing and never duplicates.
/// </summary>
public sealed class RegistryWriter(ImportKind kind)
{
    private string Table => kind.TargetTable;

    private string KeyJoin => kind.Target == ImportTarget.Asset ? $"a.kind = '{kind.AssetKind}' AND a.code = c.code" : "a.code = c.code";

    private string KindFilter => kind.Target == ImportTarget.Asset ? $"a.kind = '{kind.AssetKind}'" : "true";

    private string DetailJoin => kind.DetailTable is { } d ? $"LEFT JOIN {d} d ON d.asset_id = a.id" : "";

    private IEnumerable<(string Column, string Value)> DetailValues =>
        kind.Details.Select((d, i) => (d.Column, d.SqlValue ?? $"c.detail[{i + 1}]::{d.SqlType}"));

    private string DetailColumns(string alias) => string.Join(", ", DetailValues.Select(d => $"{alias}.{d.Column}"));

    private string DetailExprs => string.Join(", ", DetailValues.Select(d => d.Value));

    private const string BeforeImage = "jsonb_set(to_jsonb(a), '{geom}', to_jsonb(encode(ST_AsEWKB(a.geom), 'hex')))";

    /// <summary>True where the file's row differs in anything the registry keeps.</summary>
    private string Changed
    {
        get
        {
            var common = "a.name IS DISTINCT FROM c.name OR a.properties IS DISTINCT FROM c.props OR NOT ST_OrderingEquals(a.geom, c.geom)";
            return kind.Target switch
            {
                ImportTarget.Asset => $"a.status <> 'active' OR a.is_sample OR {common} OR a.address IS DISTINCT FROM c.address " +
                    $"OR a.admin_area_code IS DISTINCT FROM c.area_code OR d.asset_id IS NULL OR ROW({DetailColumns("d")}) IS DISTINCT FROM ROW({DetailExprs})",
                ImportTarget.AdminArea => $"a.is_sample OR {common} OR ROW({DetailColumns("a")}) IS DISTINCT FROM ROW({DetailExprs})",
                _ => common,
            };
        }
    }

    private string Assignments => kind.Target switch
    {
        ImportTarget.Asset => "name = c.name, address = c.address, geom = c.geom, admin_area_code = c.area_code, properties = c.props, " +
            "status = 'active', retired_at = NULL, is_sample = false, source = $2",
        ImportTarget.AdminArea => "name = c.name, geom = c.geom, properties = c.props, is_sample = false, source = $2, updated_at = now(), " +
            string.Join(", ", DetailValues.Select(d => $"{d.Column} = {d.Value}")),
        _ => "name = c.name, geom = c.geom, properties = c.props, is_sample = false, updated_at = now()",
    };

    public async Task<WriteCounts> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long batchId, string source, bool retireMissing, CancellationToken ct)
    {
        var detailImage = kind.DetailTable is null ? "NULL::jsonb" : "to_jsonb(d)";
        var updated = await ExecuteAsync(conn, tx, $"""
            INSERT INTO import_change (batch_id, target, code, action, before, before_detail)
            SELECT $1, '{Table}', c.code, 'update', {BeforeImage}, {detailImage}
            FROM {ValidationQuery.Checked} c JOIN {Table} a ON {KeyJoin} {DetailJoin}
            WHERE c.ok AND ({Changed})
            """, batchId, source, ct);
        var changedRows = $"""
            FROM {ValidationQuery.Checked} c
            JOIN import_change ch ON ch.batch_id = $1 AND ch.target = '{Table}' AND ch.code = c.code AND ch.action = 'update'
            """;
        await ExecuteAsync(conn, tx, $"UPDATE {Table} a SET {Assignments} {changedRows} WHERE c.ok AND {KeyJoin}", batchId, source, ct);
        if (kind.DetailTable is { } detail)
        {
            await ExecuteAsync(conn, tx, $"""
                INSERT INTO {detail} (asset_id, {string.Join(", ", DetailValues.Select(d => d.Column))})
                SELECT a.id, {DetailExprs} {changedRows} JOIN asset a ON {KeyJoin} WHERE c.ok
                ON CONFLICT (asset_id) DO UPDATE SET {string.Join(", ", DetailValues.Select(d => $"{d.Column} = EXCLUDED.{d.Column}"))}
                """, batchId, source, ct);
        }
        var fresh = $"FROM {ValidationQuery.Checked} c WHERE c.ok AND NOT EXISTS (SELECT 1 FROM {Table} a WHERE {KeyJoin})";
        var inserted = kind.Target switch
        {
            ImportTarget.Asset => await ExecuteAsync(conn, tx, $"""
                WITH fresh AS (
                    INSERT INTO asset (kind, code, name, geom, admin_area_code, address, source, properties, created_batch_id)
                    SELECT '{kind.AssetKind}', c.code, c.name, c.geom, c.area_code, c.address, $2, c.props, $1 {fresh}
                    RETURNING id, code)
                INSERT INTO {kind.DetailTable} (asset_id, {string.Join(", ", DetailValues.Select(d => d.Column))})
                SELECT f.id, {DetailExprs} FROM fresh f JOIN {ValidationQuery.Checked} c ON c.code = f.code AND c.ok
                """, batchId, source, ct),
            ImportTarget.AdminArea => await ExecuteAsync(conn, tx, $"""
                INSERT INTO admin_area (code, name, geom, properties, source, created_batch_id, {string.Join(", ", DetailValues.Select(d => d.Column))})
                SELECT c.code, c.name, c.geom, c.props, $2, $1, {DetailExprs} {fresh}
                """, batchId, source, ct),
            _ => await ExecuteAsync(conn, tx, $"""
                INSERT INTO city_outline (code, name, geom, properties, created_batch_id)
                SELECT c.code, c.name, c.geom, c.props, $1 {fresh}
                """, batchId, source, ct),
        };
        var retired = retireMissing ? await RetireMissingAsync(conn, tx, batchId, source, ct) : 0;
        var reassigned = 0;
        if (kind.Target == ImportTarget.AdminArea)
        {
            await using var cmd = new NpgsqlCommand("SELECT admin_area_reassign()", conn, tx);
            reassigned = (int)(await cmd.ExecuteScalarAsync(ct))!;
        }
        var ok = await ScalarAsync(conn, tx, $"SELECT count(*) FROM {ValidationQuery.Checked} WHERE ok", ct);
        return new WriteCounts(inserted, updated, (int)ok - inserted - updated, retired, reassigned);
    }

    /// <summary>Rows of the registry the file does not have (a --full file is the whole registry). Filtered rows count as absent.</summary>
    public string MissingSql => $"""
        SELECT a.code, a.name FROM {Table} a
        WHERE {KindFilter} {(kind.Target == ImportTarget.Asset ? "AND a.status = 'active' AND NOT a.is_sample" : "")}
          AND NOT EXISTS (SELECT 1 FROM {ValidationQuery.Checked} c WHERE c.code = a.code AND NOT c.filtered)
        ORDER BY a.code
        """;

    /// <summary>Assets missing from the file are marked retired, never deleted; an area or outline no longer in the file is removed, its row kept for undo.</summary>
    private async Task<int> RetireMissingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long batchId, string source, CancellationToken ct)
    {
        var missing = $"NOT EXISTS (SELECT 1 FROM {ValidationQuery.Checked} c WHERE c.code = a.code AND NOT c.filtered)";
        var detailImage = kind.DetailTable is null ? "NULL::jsonb" : "to_jsonb(d)";
        var activeFilter = kind.Target == ImportTarget.Asset ? "AND a.status = 'active' AND NOT a.is_sample" : "";
        var retired = await ExecuteAsync(conn, tx, $"""
            INSERT INTO import_change (batch_id, target, code, action, before, before_detail)
            SELECT $1, '{Table}', a.code, 'retire', {BeforeImage}, {detailImage}
            FROM {Table} a {DetailJoin}
            WHERE {KindFilter} {activeFilter} AND {missing}
            """, batchId, source, ct);
        var sql = kind.Target == ImportTarget.Asset
            ? $"UPDATE asset a SET status = 'retired', retired_at = now() FROM import_change ch WHERE ch.batch_id = $1 AND ch.action = 'retire' AND ch.target = 'asset' AND {KindFilter} AND a.code = ch.code"
            : $"DELETE FROM {Table} a USING import_change ch WHERE ch.batch_id = $1 AND ch.action = 'retire' AND ch.target = '{Table}' AND a.code = ch.code";
        await ExecuteAsync(conn, tx, sql, batchId, source, ct);
        return retired;
    }

    /// <summary>Every statement binds the batch as $1; those that stamp rows with their source also bind it as $2.</summary>
    private static Task<int> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, long batchId, string source, CancellationToken ct) =>
        sql.Contains("$2", StringComparison.Ordinal) ? conn.ExecuteAsync(tx, sql, ct, batchId, source) : conn.ExecuteAsync(tx, sql, ct, batchId);

    private static async Task<long> ScalarAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
