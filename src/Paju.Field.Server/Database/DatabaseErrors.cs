using System.Net.Sockets;
using Npgsql;

namespace Paju.Field.Server.Database;

/// <summary>
/// Which failures can succeed if tried again. A retry loop retries only these; anything else is the
/// database refusing this data for good, and retrying it would hold up everything behind it.
/// </summary>
public static class DatabaseErrors
{
    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => IsTransientState(pg.SqlState) || IsStalePreparedStatement(pg),
        NpgsqlException => true,   // no server verdict: the connection was lost, refused or timed out
        TimeoutException or IOException or SocketException => true,
        _ => false,
    };

    /// <summary>
    /// 08 connection exceptions, 53 insufficient resources (disk full, too many connections), 57P01–57P03
    /// shutdown and start-up, 57014 a statement cancelled (a timeout), 40001/40P01 serialization failure
    /// and deadlock, 55P03 a lock not available.
    /// </summary>
    public static bool IsTransientState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState is "57P01" or "57P02" or "57P03" or "57014" or "40001" or "40P01" or "55P03";

    /// <summary>
    /// A prepared statement PostgreSQL will not run as prepared any more: missing from the session (26000, after a
    /// DISCARD ALL, or behind a pooler in transaction mode) or planned before a migration changed a column it returns
    /// (0A000 "cached plan must not change result type", raised where the plan is revalidated). Nothing is wrong with the
    /// data: the same statement succeeds unprepared or prepared afresh.
    /// </summary>
    public static bool IsStalePreparedStatement(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.InvalidSqlStatementName
        || (e.SqlState == PostgresErrorCodes.FeatureNotSupported && e.Routine == "RevalidateCachedQuery");

    /// <summary>How long to wait after a transient failure before the next attempt: a quarter second more each time, at most 5 s.</summary>
    public static TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5000, 250 * attempt));

    /// <summary>The database's own words for a refusal, with its SQLSTATE, for a dead letter a person reads.</summary>
    public static string Describe(Exception e) => e is PostgresException pg
        ? $"{pg.SqlState}: {pg.MessageText}{(pg.Detail is { Length: > 0 } detail ? $" ({detail})" : "")}{(pg.ConstraintName is { } c ? $" [constraint {c}]" : "")}"
        : $"{e.GetType().Name}: {e.Message}";
}
