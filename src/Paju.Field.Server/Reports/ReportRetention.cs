using Npgsql;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Reports;

/// <summary>
/// Deletes reporters' contact details when the retention they agreed to ends (<see cref="ReportForm.ContactRetentionDays"/>
/// days from filing): hourly, and at start. The report stays; only the name and phone go, and the deletion is audited.
/// </summary>
public sealed class ReportRetention(NpgsqlDataSource db, TimeProvider clock, ILogger<ReportRetention> log) : BackgroundService
{
    public async Task<int> RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var receipts = new List<string>();
        await using (var cmd = new NpgsqlCommand("""
            DELETE FROM report_contact c USING report r WHERE r.id = c.report_id AND c.delete_after <= $1 RETURNING r.receipt
            """, conn, tx) { Parameters = { new() { Value = now } } })
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                receipts.Add(reader.GetString(0));
            }
        }
        if (receipts.Count > 0)
        {
            await AuditLog.WriteAsync(conn, tx, Actor.System("report-retention"), "report.contact_deleted", "report", null,
                new { receipts, retentionDays = ReportForm.ContactRetentionDays }, ct);
        }
        await tx.CommitAsync(ct);
        if (receipts.Count > 0)
        {
            log.LogInformation("Deleted the contact details of {Count} reports whose {Days}-day retention ended", receipts.Count, ReportForm.ContactRetentionDays);
        }
        return receipts.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(clock.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                log.LogWarning("Contact retention could not run ({Reason}); trying again in an hour", e.Message);
            }
            try
            {
                await Task.Delay(TimeSpan.FromHours(1), clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
