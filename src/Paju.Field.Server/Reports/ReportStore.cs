using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Inspections;
using Paju.Field.Server.Live;

namespace Paju.Field.Server.Reports;

/// <summary>A report as the public sees it at /r/{receipt} and on the plate's page: no contact, no photos' bytes, no operator's name.</summary>
public sealed record PublicReport(long Id, string Receipt, string AssetName, string AssetCode, DateTimeOffset ReceivedAt, string Description,
    string State, string? ResultNote, int SeenToo, bool Urgent, string? TagId);

/// <summary>Citizens' reports: filing one (with its photos, contact and, when urgent, its alarm), and what the public may read back.</summary>
public static class ReportStore
{
    public static string KoreanState(string state) => state switch
    {
        "received" => "접수",
        "in_review" => "확인 중",
        "resolved" => "조치 완료",
        "rejected" => "반려",
        _ => state,
    };

    /// <summary>Files the report in one transaction; photos are in the content-addressed store before it commits (a photo never goes missing).</summary>
    public static async Task<string> FileAsync(NpgsqlDataSource db, IPhotoStore photos, long assetId, string? tagId, ReportForm form,
        DateTimeOffset now, CancellationToken ct)
    {
        var receipt = await NextReceiptAsync(db, now, ct);
        var stored = new List<(int N, byte[] Sha, int Bytes, string Type)>();
        var upload = Guid.NewGuid();
        for (var i = 0; i < form.Photos.Count; i++)
        {
            var photo = form.Photos[i];
            var id = Guid.NewGuid();
            await photos.AppendAsync(upload, id, 0, new MemoryStream(photo.Bytes), ct);
            var (sha, length) = await photos.HashAsync(upload, id, ct);
            await photos.CommitAsync(upload, id, sha, ct);
            stored.Add((i + 1, sha, (int)length, photo.MediaType));
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long reportId;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO report (receipt, asset_id, tag_id, received_at, description, position, accuracy_m, injured, injuries, urgent, updated_at)
            VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($7, $6), 4326) END, $8, $9, $10, $11, $4)
            RETURNING id
            """, conn, tx))
        {
            insert.Parameters.Add(new() { Value = receipt });
            insert.Parameters.Add(new() { Value = assetId });
            insert.Parameters.Add(new() { Value = (object?)tagId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = now });
            insert.Parameters.Add(new() { Value = form.Description });
            insert.Parameters.Add(new() { Value = (object?)form.Lat ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            insert.Parameters.Add(new() { Value = (object?)form.Lon ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            insert.Parameters.Add(new() { Value = (object?)form.Accuracy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            insert.Parameters.Add(new() { Value = form.Injured });
            insert.Parameters.Add(new() { Value = form.Injuries.ToArray() });
            insert.Parameters.Add(new() { Value = form.Urgent });
            reportId = (long)(await insert.ExecuteScalarAsync(ct))!;
        }
        if (stored.Count > 0)
        {
            await using var photoRows = new NpgsqlCommand("""
                INSERT INTO report_photo (report_id, n, sha256, bytes, media_type)
                SELECT $1, n, sha, b, t FROM unnest($2::smallint[], $3::bytea[], $4::int[], $5::text[]) AS p(n, sha, b, t)
                """, conn, tx);
            photoRows.Parameters.Add(new() { Value = reportId });
            photoRows.Parameters.Add(new() { Value = stored.Select(s => (short)s.N).ToArray() });
            photoRows.Parameters.Add(new() { Value = stored.Select(s => s.Sha).ToArray() });
            photoRows.Parameters.Add(new() { Value = stored.Select(s => s.Bytes).ToArray() });
            photoRows.Parameters.Add(new() { Value = stored.Select(s => s.Type).ToArray() });
            await photoRows.ExecuteNonQueryAsync(ct);
        }
        if (form.Consented && (form.Name is not null || form.Phone is not null))
        {
            await using var contact = new NpgsqlCommand(
                "INSERT INTO report_contact (report_id, name, phone, consented_at, delete_after) VALUES ($1, $2, $3, $4, $5)", conn, tx);
            contact.Parameters.Add(new() { Value = reportId });
            contact.Parameters.Add(new() { Value = (object?)form.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            contact.Parameters.Add(new() { Value = (object?)form.Phone ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            contact.Parameters.Add(new() { Value = now });
            contact.Parameters.Add(new() { Value = now.AddDays(ReportForm.ContactRetentionDays) });
            await contact.ExecuteNonQueryAsync(ct);
        }
        var citizen = Actor.System("citizen");
        await AuditLog.WriteAsync(conn, tx, citizen, "report.file", "report", receipt,
            new { asset = assetId, tag = tagId, urgent = form.Urgent, photos = stored.Count, contact = form.Consented }, ct);
        if (form.Urgent)
        {
            await RaiseAlarmAsync(conn, tx, reportId, now, ct);
        }
        await tx.CommitAsync(ct);
        return receipt;
    }

    /// <summary>An urgent report is a priority-1 alarm on the live feed at once, escalated like any other until someone triages it.</summary>
    private static async Task RaiseAlarmAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long reportId, DateTimeOffset now, CancellationToken ct)
    {
        long alarm;
        await using (var insert = new NpgsqlCommand("INSERT INTO alarm (report_id, priority, raised_at) VALUES ($1, 1, $2) RETURNING id", conn, tx))
        {
            insert.Parameters.Add(new() { Value = reportId });
            insert.Parameters.Add(new() { Value = now });
            alarm = (long)(await insert.ExecuteScalarAsync(ct))!;
        }
        // Read back through the view in a statement of its own: a data-modifying CTE's rows are not visible to its own query.
        string code, message;
        await using (var origin = new NpgsqlCommand("SELECT code, message_ko FROM alarm_origin WHERE alarm_id = $1", conn, tx) { Parameters = { new() { Value = alarm } } })
        await using (var reader = await origin.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (code, message) = (reader.GetString(0), reader.GetString(1));
        }
        await AlarmEvaluator.RecordAsync(conn, tx, alarm, code, 1, message, LiveEventTypes.AlarmRaised, now, null, Actor.System("citizen"), null, ct);
    }

    /// <summary>The report's alarm clears when an operator has looked at it (triage): the report itself stays in the queue.</summary>
    public static async Task ClearAlarmAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long reportId, DateTimeOffset now, Actor actor, CancellationToken ct)
    {
        var ids = new List<(long Id, int Priority)>();
        await Live.LiveLogLock.HoldAsync(conn, tx, ct);   // before the alarm's row: one lock order with the evaluator
        await using (var clear = new NpgsqlCommand("""
            UPDATE alarm SET cleared_at = $2, acknowledged_at = coalesce(acknowledged_at, $2), acknowledged_by = coalesce(acknowledged_by, $3)
            WHERE report_id = $1 AND cleared_at IS NULL RETURNING id, priority
            """, conn, tx))
        {
            clear.Parameters.Add(new() { Value = reportId });
            clear.Parameters.Add(new() { Value = now });
            clear.Parameters.Add(new() { Value = actor.Name });
            await using var reader = await clear.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                ids.Add((reader.GetInt64(0), reader.GetInt16(1)));
            }
        }
        var cleared = new List<(long Id, int Priority, string Code, string Message)>();
        foreach (var (id, priority) in ids)
        {
            await using var origin = new NpgsqlCommand("SELECT code, message_ko FROM alarm_origin WHERE alarm_id = $1", conn, tx) { Parameters = { new() { Value = id } } };
            await using var reader = await origin.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            cleared.Add((id, priority, reader.GetString(0), reader.GetString(1)));
        }
        foreach (var (id, priority, code, message) in cleared)
        {
            await AlarmEvaluator.RecordAsync(conn, tx, id, code, priority, message, LiveEventTypes.AlarmCleared, now, null, actor, new { reason = "신고 분류 완료" }, ct);
        }
    }

    /// <summary>Open reports on an asset, newest first, as the plate's page shows them before a new one is written.</summary>
    public static async Task<List<PublicReport>> OpenOnAssetAsync(NpgsqlConnection conn, long assetId, CancellationToken ct) =>
        await ReadAsync(conn, "r.asset_id = $1 AND r.state IN ('received', 'in_review') ORDER BY r.received_at DESC LIMIT 10", assetId, ct);

    public static async Task<PublicReport?> FindAsync(NpgsqlConnection conn, string receipt, CancellationToken ct) =>
        (await ReadAsync(conn, "r.receipt = $1", receipt, ct)).FirstOrDefault();

    /// <summary>"저도 봤어요": one more person saw the same hazard — counted on the open report instead of a duplicate.</summary>
    public static async Task<bool> SeenTooAsync(NpgsqlDataSource db, long reportId, long assetId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE report SET seen_too = seen_too + 1, updated_at = now()
            WHERE id = $1 AND asset_id = $2 AND state IN ('received', 'in_review')
            """);
        cmd.Parameters.Add(new() { Value = reportId });
        cmd.Parameters.Add(new() { Value = assetId });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Reports filed on an asset in the last hour (the per-asset limit, shared by every server).</summary>
    public static async Task<long> RecentOnAssetAsync(NpgsqlDataSource db, long assetId, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM report WHERE asset_id = $1 AND received_at > $2");
        cmd.Parameters.Add(new() { Value = assetId });
        cmd.Parameters.Add(new() { Value = now.AddHours(-1) });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<PublicReport>> ReadAsync(NpgsqlConnection conn, string where, object argument, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT r.id, r.receipt, a.name, a.code, r.received_at, r.description, r.state, r.result_note, r.seen_too, r.urgent, r.tag_id
            FROM report r JOIN asset a ON a.id = r.asset_id WHERE {where}
            """, conn) { Parameters = { new() { Value = argument } } };
        var list = new List<PublicReport>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new PublicReport(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                r.GetString(5), r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetInt32(8), r.GetBoolean(9),
                r.IsDBNull(10) ? null : r.GetString(10)));
        }
        return list;
    }

    /// <summary>R-{Seoul date}-{n}, drawn like the inspections' receipts (see <see cref="DailyReceipts"/>).</summary>
    private static Task<string> NextReceiptAsync(NpgsqlDataSource db, DateTimeOffset at, CancellationToken ct) =>
        DailyReceipts.NextAsync(db, "report_counter", "R", 4, at, ct);
}
