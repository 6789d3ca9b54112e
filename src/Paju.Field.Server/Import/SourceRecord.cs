using NetTopologySuite.Geometries;

namespace Paju.Field.Server.Import;

/// <summary>
/// One row of a file as it came: its number as a person finds it (CSV line, GeoJSON feature,
/// GeoPackage row), its fields as text, and its geometry where the format carries one. A row the
/// reader could not take apart carries the reason instead; it is reported, never dropped silently.
/// </summary>
public sealed class SourceRecord
{
    /// <summary>Field names; rows of one CSV share the same array, so lookups resolve once per file.</summary>
    public required string[] Names { get; init; }

    public required string?[] Values { get; init; }

    public long Number { get; init; }

    public Geometry? Geometry { get; init; }

    /// <summary>A problem found while reading the row (ragged CSV row, unparsable geometry).</summary>
    public RowProblem? Problem { get; init; }
}

/// <summary>What is wrong with a row: where (field), why (in Korean, actionable) and the offending value.</summary>
public sealed record RowProblem(string? Field, string Reason, string? Value = null);

/// <summary>A file the importer reads row by row, never whole.</summary>
public interface IRecordSource : IDisposable
{
    string Format { get; }

    /// <summary>The CRS the file itself declares (a GeoJSON "crs" member, a GeoPackage srs_id), if any.</summary>
    CoordinateSystem? DeclaredCrs { get; }

    /// <summary>The encoding read, for the batch record (text formats only).</summary>
    string? EncodingName { get; }

    /// <summary>How far through the file reading is, 0..1, for the progress bar.</summary>
    double Progress { get; }

    IEnumerable<SourceRecord> Read(CancellationToken ct);
}
