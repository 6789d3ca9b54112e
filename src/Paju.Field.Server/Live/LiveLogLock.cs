using Npgsql;

namespace Paju.Field.Server.Live;

/// <summary>
/// The live log's append lock (see live_event_append), taken early. A transaction that changes alarm rows and then
/// appends to the live log must hold this lock before it locks any alarm row: otherwise it can hold row A and wait for
/// the log while another holds the log and waits for row A (an acknowledgement beside the evaluator in an alarm flood).
/// One order — the log, then rows — leaves no cycle. Taking it twice in one transaction is harmless.
/// </summary>
public static class LiveLogLock
{
    public static async Task HoldAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('paju.live_event.append'))", conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
