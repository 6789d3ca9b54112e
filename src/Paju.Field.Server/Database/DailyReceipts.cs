using System.Globalization;
using Npgsql;
using Paju.Field.Calendar;

namespace Paju.Field.Server.Database;

/// <summary>
/// {prefix}-{Seoul date}-{n}: receipt numbers (접수번호) counted per Seoul day, short enough to read out on the phone.
/// Drawn in a transaction of their own, after every check passed: the day's counter row is locked for a moment, not
/// for the whole submission, so concurrent senders do not queue behind it. A submission that fails afterwards leaves a
/// gap, never a duplicate.
/// </summary>
public static class DailyReceipts
{
    /// <summary>Inspections (P-…, 5 digits) count in receipt_counter; citizens' reports (R-…, 4 digits) in report_counter.</summary>
    public static async Task<string> NextAsync(NpgsqlDataSource db, string counterTable, string prefix, int digits, DateTimeOffset at, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(at).DateTime);
        await using var cmd = db.CreateCommand($"""
            INSERT INTO {counterTable} (day, last) VALUES ($1, 1)
            ON CONFLICT (day) DO UPDATE SET last = {counterTable}.last + 1
            RETURNING last
            """);
        cmd.Parameters.Add(new() { Value = day });
        var n = (int)(await cmd.ExecuteScalarAsync(ct))!;
        return $"{prefix}-{day:yyyyMMdd}-{n.ToString(new string('0', digits), CultureInfo.InvariantCulture)}";
    }
}
