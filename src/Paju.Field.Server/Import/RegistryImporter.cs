using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Import.Sources;

namespace Paju.Field.Server.Import;

/// <summary>What <c>paju import</c> was asked to do.</summary>
public sealed record ImportRequest(string File, ImportKind Kind)
{
    public string? Format { get; init; }
    public CoordinateSystem? Crs { get; init; }
    public string? Encoding { get; init; }
    public string? Layer { get; init; }
    public bool DryRun { get; init; }
    public bool SkipInvalid { get; init; }
    public bool Repair { get; init; }
    public bool ClipToCity { get; init; }
    public bool Full { get; init; }
    public bool RetireMissing { get; init; }
    public FieldOverrides Fields { get; init; } = new();
    public string? ReportPath { get; init; }
}

public enum ImportOutcome { Applied, Rejected, DryRun }

public sealed record ImportResult(
    ImportOutcome Outcome, long? BatchId, CoordinateSystem Crs, string Format, long RowsRead, long Invalid, long Filtered, long Repaired,
    WriteCounts? Written, IReadOnlyList<ImportIssue> Issues, long IssueCount, IReadOnlyList<(string Code, string Name)> Missing,
    string ReportPath, TimeSpan Elapsed);

/// <summary>Where an import is, for a progress bar.</summary>
public sealed record ImportProgress(string Phase, long Rows, double Fraction);

/// <summary>
/// Imports one file as one batch: read and stage every row, validate them all in PostGIS, then
/// write in the same transaction — or, if any row is wrong and --skip-invalid was not given, write
/// nothing and keep the report. Each applied import is an <c>import_batch</c> that can be undone.
/// </summary>
public sealed class RegistryImporter(NpgsqlDataSource db)
{
    /// <summary>Outside rows are diagnosed one by one (swapped axes, wrong CRS …); past this many the reason is the plain one.</summary>
    private const int DiagnosedRows = 300;

    public async Task<ImportResult> RunAsync(ImportRequest request, Actor actor, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var kind = request.Kind;
        if (!File.Exists(request.File))
        {
            throw new ImportException($"파일이 없습니다: {Path.GetFullPath(request.File)}");
        }
        using var source = Open(request);

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await StagingTable.CreateAsync(conn, tx, ct);

        var mapper = new RowMapper(kind, request.Fields);
        var staged = new StagedRow();
        long read = 0;
        var tick = Stopwatch.StartNew();
        IEnumerable<StagedRow> Rows()
        {
            foreach (var record in source.Read(ct))
            {
                read++;
                if (tick.ElapsedMilliseconds >= 200)
                {
                    progress?.Report(new ImportProgress("읽는 중", read, source.Progress));
                    tick.Restart();
                }
                yield return mapper.Map(record, staged);
            }
        }
        var rows = await StagingTable.CopyAsync(conn, Rows(), ct);
        // A GeoJSON "crs" member is known only once reading has passed it.
        var crs = request.Crs ?? source.DeclaredCrs ?? CoordinateSystems.Wgs84;
        progress?.Report(new ImportProgress("읽는 중", read, 1));
        if (rows == 0)
        {
            throw new ImportException($"{Path.GetFileName(request.File)}: 가져올 행이 없습니다 (머리글만 있거나 피처가 없습니다)");
        }

        progress?.Report(new ImportProgress("검사 중", rows, 1));
        await conn.ExecuteAsync(tx, $"ANALYZE {StagingTable.Name}", ct);
        var inside = await InsideRuleAsync(conn, tx, kind, ct);
        await conn.ExecuteAsync(tx, ValidationQuery.Build(kind, crs.Srid, inside, request.Repair, request.ClipToCity), ct);
        // Statistics let the writer's joins on code hash instead of looping row by row.
        await conn.ExecuteAsync(tx, $"ANALYZE {ValidationQuery.Checked}", ct);
        var (invalid, filtered, repaired) = await CountsAsync(conn, tx, ct);

        var reportPath = request.ReportPath ?? DefaultReportPath(request);
        var writer = new RegistryWriter(kind);
        List<(string Code, string Name)> missing = request.Full || request.RetireMissing ? await MissingAsync(conn, tx, writer, ct) : [];
        using var report = new ImportReport(reportPath);
        await WriteIssuesAsync(conn, tx, crs, report, ct);
        foreach (var (code, name) in missing)
        {
            report.Add(new ImportIssue(null, kind.Code.Key, request.RetireMissing ? "파일에 없어 폐지 처리합니다 (--retire-missing)" : "등록부에 있으나 파일에 없습니다 (--full)", $"{code} {name}"));
        }

        ImportResult Result(ImportOutcome outcome, long? batch, WriteCounts? written) => new(
            outcome, batch, crs, source.Format, rows, invalid, filtered, repaired, written, report.First, report.Count, missing, report.Path, clock.Elapsed);

        if (request.DryRun)
        {
            await tx.RollbackAsync(ct);
            return Result(ImportOutcome.DryRun, null, null);
        }
        var sha = await Sha256Async(request.File, ct);
        if (invalid > 0 && !request.SkipInvalid)
        {
            await tx.RollbackAsync(ct);
            var rejected = await RecordRejectedAsync(request, crs, source, sha, actor, started, rows, invalid, filtered, report.First, ct);
            return Result(ImportOutcome.Rejected, rejected, null);
        }

        progress?.Report(new ImportProgress("쓰는 중", rows, 1));
        var batchId = await InsertBatchAsync(conn, tx, "applied", request, crs, source, sha, actor, started, ct);
        var counts = await writer.ApplyAsync(conn, tx, batchId, $"import:{batchId}", request.RetireMissing, ct);
        await conn.ExecuteAsync(tx, """
            UPDATE import_batch SET rows_read = $2, inserted = $3, updated = $4, unchanged = $5, invalid = $6, filtered = $7,
                repaired = $8, missing = $9, retired = $10, finished_at = now()
            WHERE id = $1
            """, ct, batchId, (int)rows, counts.Inserted, counts.Updated, counts.Unchanged, (int)invalid, (int)filtered, (int)repaired, missing.Count, counts.Retired);
        await InsertIssuesAsync(conn, tx, batchId, report.First, ct);
        await AuditLog.WriteAsync(conn, tx, actor, "registry.import", "import_batch", batchId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            new { kind = kind.Name, file = Path.GetFileName(request.File), rows, counts.Inserted, counts.Updated, counts.Retired, invalid }, ct);
        await tx.CommitAsync(ct);
        return Result(ImportOutcome.Applied, batchId, counts);
    }

    private static IRecordSource Open(ImportRequest request)
    {
        var format = request.Format?.ToLowerInvariant() ?? Path.GetExtension(request.File).ToLowerInvariant() switch
        {
            ".csv" or ".txt" or ".tsv" => "csv",
            ".geojson" or ".json" => "geojson",
            ".gpkg" => "gpkg",
            var other => throw new ImportException($"파일 형식을 알 수 없습니다 ('{other}'): --format csv|geojson|gpkg 로 지정하십시오"),
        };
        return format switch
        {
            "csv" => new CsvSource(request.File, request.Encoding),
            "geojson" => new GeoJsonSource(request.File),
            "gpkg" => new GeoPackageSource(request.File, request.Layer),
            _ => throw new ImportException($"형식 '{format}'은 가져올 수 없습니다: csv, geojson, gpkg"),
        };
    }

    private static string DefaultReportPath(ImportRequest request) =>
        Path.Combine(Environment.CurrentDirectory, $"import-report-{request.Kind.Name}-{DateTime.Now:yyyyMMdd-HHmmss}.csv");

    private static async Task<InsideRule> InsideRuleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ImportKind kind, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM admin_area), EXISTS (SELECT 1 FROM city_outline)", conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (areas, outline) = (reader.GetBoolean(0), reader.GetBoolean(1));
        return kind.Target switch
        {
            ImportTarget.Asset when areas => InsideRule.AdminAreas,
            ImportTarget.Asset or ImportTarget.AdminArea when outline => InsideRule.CityOutline,
            _ => InsideRule.Extent,
        };
    }

    private static async Task<(long Invalid, long Filtered, long Repaired)> CountsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT count(*) FILTER (WHERE reason IS NOT NULL AND NOT filtered), count(*) FILTER (WHERE filtered), count(*) FILTER (WHERE repaired AND ok)
            FROM {ValidationQuery.Checked}
            """, conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private async Task WriteIssuesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CoordinateSystem crs, ImportReport report, CancellationToken ct)
    {
        var check = new CoordinateCheck(db);
        var diagnosed = 0;
        await using var cmd = new NpgsqlCommand($"""
            SELECT n, field, reason, problem_value, x, y, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
            FROM {ValidationQuery.Checked} WHERE reason IS NOT NULL AND NOT filtered ORDER BY n
            """, conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var reason = reader.GetString(2);
            string? value = reader.IsDBNull(3) ? null : reader.GetString(3);
            if (reason == "outside")
            {
                double? x = reader.IsDBNull(4) ? null : reader.GetDouble(4), y = reader.IsDBNull(5) ? null : reader.GetDouble(5);
                value = x is null ? null : $"{x}, {y}";
                reason = x is { } px && y is { } py && diagnosed++ < DiagnosedRows
                    ? await DiagnoseAsync(check, crs, px, py, ct)
                    : reader.IsDBNull(6) ? "파주시 밖입니다"
                    : $"파주시 밖입니다 (경도 {reader.GetDouble(6):F5}, 위도 {reader.GetDouble(7):F5})";
            }
            report.Add(new ImportIssue(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reason, value));
        }
    }

    private static async Task<string> DiagnoseAsync(CoordinateCheck check, CoordinateSystem crs, double x, double y, CancellationToken ct)
    {
        var diagnosis = await check.DiagnoseAsync(crs, x, y, ct);
        return diagnosis.Verdict == CoordinateVerdict.Inside || diagnosis.Reason is null
            ? $"파주시 경계 밖입니다 (경도 {diagnosis.Lon:F5}, 위도 {diagnosis.Lat:F5})"
            : diagnosis.Reason;
    }

    private static async Task<List<(string, string)>> MissingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, RegistryWriter writer, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(writer.MissingSql, conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<(string, string)>();
        while (await reader.ReadAsync(ct))
        {
            list.Add((reader.GetString(0), reader.GetString(1)));
        }
        return list;
    }

    private async Task<long> RecordRejectedAsync(ImportRequest request, CoordinateSystem crs, IRecordSource source, string sha, Actor actor,
        DateTimeOffset started, long rows, long invalid, long filtered, IReadOnlyList<ImportIssue> issues, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var id = await InsertBatchAsync(conn, tx, "rejected", request, crs, source, sha, actor, started, ct);
        await conn.ExecuteAsync(tx, "UPDATE import_batch SET rows_read = $2, invalid = $3, filtered = $4 WHERE id = $1", ct, id, (int)rows, (int)invalid, (int)filtered);
        await InsertIssuesAsync(conn, tx, id, issues, ct);
        await tx.CommitAsync(ct);
        return id;
    }

    private static async Task<long> InsertBatchAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string status, ImportRequest request, CoordinateSystem crs,
        IRecordSource source, string sha, Actor actor, DateTimeOffset started, CancellationToken ct)
    {
        var options = new
        {
            request.SkipInvalid, request.Repair, request.ClipToCity, request.Full, request.RetireMissing, request.Layer,
            request.Fields.Code, request.Fields.Name, request.Fields.X, request.Fields.Y,
        };
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO import_batch (kind, status, file_name, file_sha256, file_bytes, format, crs, encoding, options, actor_user_id, actor, started_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = request.Kind.Name.Replace('-', '_') },
                new() { Value = status },
                new() { Value = Path.GetFileName(request.File) },
                new() { Value = sha },
                new() { Value = new FileInfo(request.File).Length },
                new() { Value = source.Format },
                new() { Value = crs.Srid },
                new() { Value = (object?)source.EncodingName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = JsonSerializer.Serialize(options), NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = (object?)actor.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                new() { Value = actor.Name },
                new() { Value = started },
            },
        };
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task InsertIssuesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long batchId, IReadOnlyList<ImportIssue> issues, CancellationToken ct)
    {
        await using var copy = await conn.BeginBinaryImportAsync("COPY import_issue (batch_id, row_no, field, reason, value) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var issue in issues)
        {
            await copy.WriteRowAsync(ct, batchId, (object?)issue.Row ?? DBNull.Value, (object?)issue.Field ?? DBNull.Value, issue.Reason, (object?)issue.Value ?? DBNull.Value);
        }
        await copy.CompleteAsync(ct);
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
    }
}
