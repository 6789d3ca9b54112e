using Npgsql;
using NpgsqlTypes;

namespace Paju.Field.Server.Import;

/// <summary>
/// The file's rows, copied as they were read into a temporary table of the import's transaction
/// (binary COPY, no indexes), so PostGIS validates them all at once before anything is written.
/// </summary>
public static class StagingTable
{
    public const string Name = "import_staging";

    public static async Task CreateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            CREATE TEMP TABLE {Name} (
                n              bigint NOT NULL,
                code           text,
                name           text,
                address        text,
                x              float8,
                y              float8,
                wkb            bytea,
                detail         text[] NOT NULL,
                props          jsonb NOT NULL,
                problem        text,
                problem_field  text,
                problem_value  text
            ) ON COMMIT DROP
            """, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Streams rows into the table; returns how many.</summary>
    public static async Task<long> CopyAsync(NpgsqlConnection conn, IEnumerable<StagedRow> rows, CancellationToken ct)
    {
        await using var copy = await conn.BeginBinaryImportAsync(
            $"COPY {Name} (n, code, name, address, x, y, wkb, detail, props, problem, problem_field, problem_value) FROM STDIN (FORMAT BINARY)", ct);
        long count = 0;
        foreach (var row in rows)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(row.Number, NpgsqlDbType.Bigint, ct);
            await WriteTextAsync(copy, row.Code, ct);
            await WriteTextAsync(copy, row.Name, ct);
            await WriteTextAsync(copy, row.Address, ct);
            await WriteDoubleAsync(copy, row.X, ct);
            await WriteDoubleAsync(copy, row.Y, ct);
            if (row.Wkb is null)
            {
                await copy.WriteNullAsync(ct);
            }
            else
            {
                await copy.WriteAsync(row.Wkb, NpgsqlDbType.Bytea, ct);
            }
            await copy.WriteAsync(row.Detail, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.Properties, NpgsqlDbType.Jsonb, ct);
            await WriteTextAsync(copy, row.Problem?.Reason, ct);
            await WriteTextAsync(copy, row.Problem?.Field, ct);
            await WriteTextAsync(copy, row.Problem?.Value, ct);
            count++;
        }
        await copy.CompleteAsync(ct);
        return count;
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken ct) =>
        value is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(value, NpgsqlDbType.Text, ct);

    private static Task WriteDoubleAsync(NpgsqlBinaryImporter copy, double? value, CancellationToken ct) =>
        value is { } v ? copy.WriteAsync(v, NpgsqlDbType.Double, ct) : copy.WriteNullAsync(ct);
}
