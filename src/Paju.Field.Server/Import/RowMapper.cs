using System.Buffers;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using Paju.Field.Json;

namespace Paju.Field.Server.Import;

/// <summary>A row as staged for validation in PostGIS: the kind's fields picked out, the rest kept as properties.</summary>
public sealed class StagedRow
{
    public long Number;
    public string? Code;
    public string? Name;
    public string? Address;
    public double? X;
    public double? Y;
    public byte[]? Wkb;
    public string?[] Detail = [];
    public string Properties = "{}";
    public RowProblem? Problem;
}

/// <summary>Field names given on the command line, ahead of the kind's own.</summary>
public sealed record FieldOverrides(string? Code = null, string? Name = null, string? X = null, string? Y = null);

/// <summary>
/// Picks a kind's fields out of a source row by name (case-insensitive, the kind's known aliases,
/// command-line overrides first) and turns them into staged values, naming the first thing wrong.
/// </summary>
public sealed class RowMapper(ImportKind kind, FieldOverrides overrides)
{
    private readonly WKBWriter _wkb = new();
    private readonly WKTReader _wkt = new();
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly int[] _addressDetails = [.. kind.AddressFromDetails.Select(c => kind.Details.ToList().FindIndex(d => d.Column == c))];
    private string[]? _resolvedFor;
    private Resolved _at = null!;

    private sealed record Resolved(int Code, int Name, int Address, int Lon, int Lat, int Wkt, int[] Details, bool[] Consumed);

    public StagedRow Map(SourceRecord record, StagedRow row)
    {
        var at = Resolve(record.Names);
        var values = record.Values;
        string? Get(int i) => i >= 0 && values[i] is { Length: > 0 } v ? v : null;

        row.Number = record.Number;
        row.Problem = record.Problem;
        // Text PostgreSQL cannot hold (a NUL, an unpaired surrogate: a file written by a broken tool) is this row's
        // problem, named with its field; the row is staged with U+FFFD in its place, so that the COPY of the whole file
        // never fails for one cell and the report shows the value.
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is { } cell && !PostgresText.CanHold(cell))
            {
                values[i] = PostgresText.Storable(cell);
                row.Problem ??= new RowProblem(i < record.Names.Length ? PostgresText.Storable(record.Names[i]) : null,
                    "글자가 아닌 값(NUL 문자나 짝이 없는 서로게이트)이 있습니다: 파일을 만든 프로그램에서 이 칸을 다시 적으십시오", values[i]);
            }
        }
        row.Code = Get(at.Code)?.Trim();
        row.Name = Get(at.Name)?.Trim();
        row.X = row.Y = null;
        row.Wkb = null;
        row.Detail = new string?[kind.Details.Count];
        for (var i = 0; i < kind.Details.Count; i++)
        {
            var spec = kind.Details[i];
            var text = Get(at.Details[i]);
            if (spec.Column == "area_type" && text is null)
            {
                text = ImportKind.AreaTypeFromName(row.Name);
            }
            if (text is null)
            {
                if (spec.Required && spec.SqlValue is null)
                {
                    row.Problem ??= new RowProblem(spec.Field!.Key, $"필수 항목 {spec.Field.Key}이(가) 비어 있습니다");
                }
                continue;
            }
            try
            {
                row.Detail[i] = spec.Normalize is null ? text.Trim() : spec.Normalize(text);
            }
            catch (FieldValueException e)
            {
                row.Problem ??= new RowProblem(spec.Field!.Key, e.Message, text);
            }
        }
        row.Address = Get(at.Address)?.Trim()
            ?? _addressDetails.Select(i => row.Detail[i]).FirstOrDefault(a => a is not null);
        if (row.Code is null)
        {
            row.Problem ??= new RowProblem(kind.Code.Key, $"코드({kind.Code.Key})가 비어 있습니다: 다시 가져올 때 같은 자산을 찾는 열쇠입니다");
        }
        if (row.Name is null)
        {
            row.Problem ??= new RowProblem(kind.NameField.Key, $"이름({kind.NameField.Key})이 비어 있습니다");
        }
        if (record.Problem is null)
        {
            MapGeometry(record, at, Get, row);
        }
        row.Properties = PropertiesJson(record, at);
        return row;
    }

    private void MapGeometry(SourceRecord record, Resolved at, Func<int, string?> get, StagedRow row)
    {
        var geometry = record.Geometry;
        if (geometry is null && get(at.Wkt) is { } wkt)
        {
            try
            {
                geometry = _wkt.Read(wkt);
            }
            catch (ParseException e)
            {
                row.Problem ??= new RowProblem(kind.Wkt.Key, $"WKT를 읽을 수 없습니다: {e.Message}", CsvTruncate(wkt));
                return;
            }
        }
        if (geometry is not null)
        {
            if (geometry.IsEmpty)
            {
                row.Problem ??= new RowProblem("geometry", "geometry가 비어 있습니다 (EMPTY)");
            }
            else if (geometry is Point p)
            {
                (row.X, row.Y) = (p.X, p.Y);
            }
            else
            {
                row.Wkb = _wkb.Write(geometry);
            }
            return;
        }
        var lon = get(at.Lon);
        var lat = get(at.Lat);
        if (lon is null || lat is null)
        {
            row.Problem ??= at.Lon < 0 || at.Lat < 0
                ? new RowProblem(null, $"좌표 열을 찾지 못했습니다: {kind.Lon.Key}/{kind.Lat.Key} (또는 --x-column, --y-column 으로 지정)")
                : new RowProblem(lon is null ? kind.Lon.Key : kind.Lat.Key, "좌표가 비어 있습니다");
            return;
        }
        try
        {
            row.X = FieldValues.Coordinate(lon, "경도(x)");
            row.Y = FieldValues.Coordinate(lat, "위도(y)");
        }
        catch (FieldValueException e)
        {
            row.X = row.Y = null;
            row.Problem ??= new RowProblem(e.Message.StartsWith("경도", StringComparison.Ordinal) ? kind.Lon.Key : kind.Lat.Key, e.Message, $"{lon}, {lat}");
        }
    }

    private string PropertiesJson(SourceRecord record, Resolved at)
    {
        _json.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_json))
        {
            writer.WriteStartObject();
            for (var i = 0; i < record.Names.Length; i++)
            {
                if (!at.Consumed[i] && record.Values[i] is { Length: > 0 } value)
                {
                    writer.WriteString(record.Names[i], value);
                }
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(_json.WrittenSpan);
    }

    private Resolved Resolve(string[] names)
    {
        if (ReferenceEquals(names, _resolvedFor))
        {
            return _at;
        }
        var consumed = new bool[names.Length];
        int Find(string? preferred, FieldSpec? spec)
        {
            foreach (var candidate in (preferred is null ? [] : new[] { preferred }).Concat(spec?.Names ?? []))
            {
                var i = Array.FindIndex(names, n => n.Equals(candidate, StringComparison.OrdinalIgnoreCase));
                if (i >= 0)
                {
                    consumed[i] = true;
                    return i;
                }
            }
            return -1;
        }
        if (overrides.Code is { } c && !names.Contains(c, StringComparer.OrdinalIgnoreCase)
            || overrides.Name is { } n && !names.Contains(n, StringComparer.OrdinalIgnoreCase)
            || overrides.X is { } x && !names.Contains(x, StringComparer.OrdinalIgnoreCase)
            || overrides.Y is { } y && !names.Contains(y, StringComparer.OrdinalIgnoreCase))
        {
            if (names.Length > 0)
            {
                throw new ImportException($"지정한 열이 파일에 없습니다. 파일의 열: {string.Join(", ", names)}");
            }
        }
        var details = kind.Details.Select(d => d.Field is null ? -1 : Find(null, d.Field)).ToArray();
        _at = new Resolved(Find(overrides.Code, kind.Code), Find(overrides.Name, kind.NameField), Find(null, kind.Address),
            Find(overrides.X, kind.Lon), Find(overrides.Y, kind.Lat), Find(null, kind.Wkt), details, consumed);
        _resolvedFor = names;
        return _at;
    }

    private static string CsvTruncate(string text) => Sources.CsvSource.Truncate(text);
}
