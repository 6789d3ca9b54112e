using System.Globalization;
using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;

namespace Paju.Field.Server.Import;

public sealed record UndoResult(long BatchId, string Kind, int Removed, int Restored, int AreasReassigned);

/// <summary>
/// <c>paju import undo BATCH</c>: puts the registry back as it was before the batch — rows it
/// created removed, rows it overwrote or retired restored from their saved images. Batches are
/// undone newest first per kind, so a later batch's changes are never silently lost.
/// </summary>
public sealed class ImportUndo(NpgsqlDataSource db)
{
    public async Task<UndoResult> UndoAsync(long batchId, Actor actor, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        string kindName, status;
        await using (var cmd = new NpgsqlCommand("SELECT kind, status FROM import_batch WHERE id = $1 FOR UPDATE", conn, tx))
        {
            cmd.Parameters.AddWithValue(batchId);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                throw new ImportException($"가져오기 배치 {batchId}가 없습니다 (paju import list 로 확인)");
            }
            (kindName, status) = (reader.GetString(0), reader.GetString(1));
        }
        if (status != "applied")
        {
            throw new ImportException($"배치 {batchId}는 되돌릴 수 없습니다: 상태가 {(status == "undone" ? "이미 되돌림" : "거부됨(아무것도 쓰지 않음)")}입니다");
        }
        await using (var cmd = new NpgsqlCommand("SELECT string_agg(id::text, ', ' ORDER BY id) FROM import_batch WHERE kind = $1 AND status = 'applied' AND id > $2", conn, tx))
        {
            cmd.Parameters.AddWithValue(kindName);
            cmd.Parameters.AddWithValue(batchId);
            if (await cmd.ExecuteScalarAsync(ct) is string later)
            {
                throw new ImportException($"배치 {batchId} 뒤에 같은 종류의 배치({later})가 있습니다: 최근 것부터 먼저 되돌리십시오");
            }
        }
        var kind = ImportKind.Parse(kindName);
        var (removed, restored) = kind.Target switch
        {
            ImportTarget.Asset => await UndoAssetsAsync(conn, tx, kind, batchId, ct),
            _ => await UndoAreasAsync(conn, tx, kind, batchId, ct),
        };
        var reassigned = 0;
        if (kind.Target == ImportTarget.AdminArea)
        {
            await using var cmd = new NpgsqlCommand("SELECT admin_area_reassign()", conn, tx);
            reassigned = (int)(await cmd.ExecuteScalarAsync(ct))!;
        }
        await conn.ExecuteAsync(tx, "UPDATE import_batch SET status = 'undone', undone_at = now(), undone_by = $2 WHERE id = $1", ct, batchId, actor.Name);
        await AuditLog.WriteAsync(conn, tx, actor, "registry.import.undo", "import_batch", batchId.ToString(CultureInfo.InvariantCulture),
            new { kind = kind.Name, removed, restored }, ct);
        await tx.CommitAsync(ct);
        return new UndoResult(batchId, kind.Name, removed, restored, reassigned);
    }

    private static async Task<(int, int)> UndoAssetsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ImportKind kind, long batchId, CancellationToken ct)
    {
        var detail = kind.DetailTable!;
        var restored = await conn.ExecuteAsync(tx, """
            UPDATE asset a SET name = r.name, geom = r.geom, parent_id = r.parent_id, admin_area_code = r.admin_area_code, address = r.address,
                status = r.status, retired_at = r.retired_at, is_sample = r.is_sample, source = r.source, properties = r.properties
            FROM import_change ch CROSS JOIN LATERAL jsonb_populate_record(NULL::asset, ch.before) r
            WHERE ch.batch_id = $1 AND ch.target = 'asset' AND a.id = r.id
            """, ct, batchId);
        await conn.ExecuteAsync(tx, $"""
            DELETE FROM {detail} d USING import_change ch
            WHERE ch.batch_id = $1 AND ch.target = 'asset' AND d.asset_id = (ch.before ->> 'id')::bigint
            """, ct, batchId);
        await conn.ExecuteAsync(tx, $"""
            INSERT INTO {detail} SELECT (jsonb_populate_record(NULL::{detail}, ch.before_detail)).*
            FROM import_change ch WHERE ch.batch_id = $1 AND ch.target = 'asset' AND ch.before_detail IS NOT NULL
            """, ct, batchId);
        var removed = await conn.ExecuteAsync(tx, "DELETE FROM asset WHERE created_batch_id = $1", ct, batchId);
        return (removed, restored);
    }

    private static async Task<(int, int)> UndoAreasAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ImportKind kind, long batchId, CancellationToken ct)
    {
        var table = kind.TargetTable;
        var removed = await conn.ExecuteAsync(tx, $"DELETE FROM {table} WHERE created_batch_id = $1", ct, batchId);
        var columns = table == "admin_area"
            ? "name = r.name, full_name = r.full_name, area_type = r.area_type, geom = r.geom, source = r.source, is_sample = r.is_sample, properties = r.properties"
            : "name = r.name, geom = r.geom, is_sample = coalesce(r.is_sample, false), properties = r.properties";
        var restored = await conn.ExecuteAsync(tx, $"""
            UPDATE {table} a SET {columns}, updated_at = now()
            FROM import_change ch CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, ch.before) r
            WHERE ch.batch_id = $1 AND ch.target = '{table}' AND ch.action = 'update' AND a.code = r.code
            """, ct, batchId);
        // Areas a --retire-missing batch removed come back whole.
        var insertColumns = table == "admin_area"
            ? "code, name, full_name, area_type, geom, source, is_sample, properties, created_batch_id"
            : "code, name, geom, properties, created_batch_id";
        restored += await conn.ExecuteAsync(tx, $"""
            INSERT INTO {table} ({insertColumns})
            SELECT {string.Join(", ", insertColumns.Split(", ").Select(c => "r." + c))}
            FROM import_change ch CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, ch.before) r
            WHERE ch.batch_id = $1 AND ch.target = '{table}' AND ch.action = 'retire'
            """, ct, batchId);
        return (removed, restored);
    }
}
