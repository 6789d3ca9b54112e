using Npgsql;

namespace Paju.Field.Server.Database;

/// <summary>
/// One statement run to completion on an open connection, its values bound as $1, $2, …. No
/// command timeout: a migration or a million-row import statement may rightly take minutes, and
/// the caller's cancellation token is what stops it.
/// </summary>
public static class ConnectionStatements
{
    public static async Task<int> ExecuteAsync(this NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
