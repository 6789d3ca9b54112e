using System.Buffers;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace Paju.Field.Server.Import.Sources;

/// <summary>
/// An RFC 7946 FeatureCollection read one feature at a time from a sliding buffer, so a 200 MB
/// minified file needs memory for its largest feature, not for the file. A cut-off or malformed
/// file stops the import with the feature and byte where it broke; a feature whose geometry cannot
/// be read (text where numbers belong, a missing coordinate) is reported as that feature's problem.
/// </summary>
public sealed class GeoJsonSource(string path) : IRecordSource
{
    private const int MaxFeatureBytes = 64 << 20;

    /// <summary>How geometries are read and written as GeoJSON here: rings kept in the order they come (the database orders them).</summary>
    internal static readonly JsonSerializerOptions GeometryOptions = new() { Converters = { new GeoJsonConverterFactory(false, "id", RingOrientationOption.DoNotModify) } };

    private FileStream? _stream;

    public string Format => "geojson";

    public CoordinateSystem? DeclaredCrs { get; private set; }

    public string? EncodingName => "utf-8";

    public double Progress => _stream is { Length: > 0 } s ? (double)s.Position / s.Length : 0;

    public IEnumerable<SourceRecord> Read(CancellationToken ct)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (_stream.Length == 0)
        {
            throw new ImportException($"{Path.GetFileName(path)}: 빈 파일입니다");
        }
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var filled = 0;
            var eof = false;
            var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            var phase = Phase.Start;
            long featureNumber = 0;
            long fileOffset = 0;   // of buffer[0]
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (!eof && filled < buffer.Length)
                {
                    var read = _stream.Read(buffer, filled, buffer.Length - filled);
                    eof = read == 0;
                    filled += read;
                }
                var records = new List<SourceRecord>();
                int consumed;
                try
                {
                    consumed = Parse(buffer.AsSpan(0, filled), eof, ref state, ref phase, ref featureNumber, records);
                }
                catch (JsonException e)
                {
                    throw new ImportException(
                        $"GeoJSON이 {featureNumber + 1}번째 피처 근처(파일 {fileOffset + (e.BytePositionInLine ?? 0):N0}바이트째)에서 깨졌습니다: " +
                        (eof ? "파일이 중간에 잘렸거나 " : "") + $"JSON 형식이 틀립니다 ({e.Message.Split('.')[0]})");
                }
                foreach (var record in records)
                {
                    yield return record;
                }
                if (phase == Phase.Done)
                {
                    yield break;
                }
                if (eof)
                {
                    throw new ImportException($"GeoJSON이 {featureNumber + 1}번째 피처에서 끝났습니다: 파일이 중간에 잘렸습니다 (마지막 피처 또는 닫는 괄호가 없습니다)");
                }
                // Keep what is not yet parsed; grow the buffer only when one feature does not fit.
                var rest = filled - consumed;
                if (consumed == 0 && filled == buffer.Length)
                {
                    if (buffer.Length >= MaxFeatureBytes)
                    {
                        throw new ImportException($"{featureNumber + 1}번째 피처가 {MaxFeatureBytes >> 20} MB를 넘습니다: 한 피처가 이렇게 큰 파일은 가져오지 않습니다");
                    }
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                else
                {
                    buffer.AsSpan(consumed, rest).CopyTo(buffer);
                    filled = rest;
                    fileOffset += consumed;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private enum Phase { Start, TopLevel, Features, Done }

    /// <summary>Parses as many whole tokens and features as the buffer holds; returns the bytes consumed.</summary>
    private int Parse(ReadOnlySpan<byte> data, bool eof, ref JsonReaderState state, ref Phase phase, ref long featureNumber, List<SourceRecord> records)
    {
        var reader = new Utf8JsonReader(data, eof, state);
        var consumed = 0;
        while (true)
        {
            // Everything up to here is handled: a refill resumes from this point and state.
            consumed = (int)reader.BytesConsumed;
            state = reader.CurrentState;
            if (phase == Phase.Done)
            {
                return consumed;
            }
            if (!reader.Read())
            {
                return consumed;
            }
            switch (phase)
            {
                case Phase.Start:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new ImportException("GeoJSON이 아닙니다: 파일이 '{'로 시작하지 않습니다");
                    }
                    phase = Phase.TopLevel;
                    break;
                case Phase.TopLevel when reader.TokenType == JsonTokenType.EndObject:
                    phase = Phase.Done;
                    break;
                case Phase.TopLevel:
                    var member = reader.GetString();
                    if (member == "features")
                    {
                        if (!reader.Read())
                        {
                            return consumed;
                        }
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            throw new ImportException("GeoJSON의 \"features\"가 배열이 아닙니다");
                        }
                        phase = Phase.Features;
                        break;
                    }
                    var value = reader;
                    if (!value.Read() || !value.TrySkip())
                    {
                        return consumed;   // the member's value is not all here yet
                    }
                    reader.Read();
                    if (member == "type" && reader.TokenType == JsonTokenType.String && reader.GetString() is var type && type != "FeatureCollection")
                    {
                        throw new ImportException($"GeoJSON type이 \"{type}\"입니다: FeatureCollection만 가져옵니다");
                    }
                    else if (member == "crs")
                    {
                        using var crs = JsonDocument.ParseValue(ref reader);
                        DeclaredCrs = ReadCrs(crs.RootElement);
                    }
                    else
                    {
                        reader.TrySkip();   // whole: checked on the copy above
                    }
                    break;
                case Phase.Features when reader.TokenType == JsonTokenType.EndArray:
                    phase = Phase.TopLevel;
                    break;
                case Phase.Features:
                    var probe = reader;
                    if (!probe.TrySkip())
                    {
                        return consumed;
                    }
                    featureNumber++;
                    using (var feature = JsonDocument.ParseValue(ref reader))
                    {
                        records.Add(ToRecord(feature.RootElement, featureNumber));
                    }
                    break;
            }
        }
    }

    private static SourceRecord ToRecord(JsonElement feature, long number)
    {
        if (feature.ValueKind != JsonValueKind.Object || !feature.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "Feature")
        {
            return new SourceRecord { Names = [], Values = [], Number = number, Problem = new RowProblem(null, "type이 \"Feature\"인 객체가 아닙니다", CsvSource.Truncate(feature.GetRawText())) };
        }
        var names = new List<string>();
        var values = new List<string?>();
        RowProblem? problem = null;
        if (feature.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in properties.EnumerateObject())
            {
                // An escaped unpaired surrogate ("\ud800") cannot become a .NET string: the row is refused with the
                // JSON as written, instead of the whole file failing on an exception.
                try
                {
                    var name = p.Name;
                    var value = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.Null => null,
                        _ => p.Value.GetRawText(),
                    };
                    names.Add(name);
                    values.Add(value);
                }
                catch (InvalidOperationException)
                {
                    names.Add($"#{names.Count + 1}");
                    values.Add(null);
                    problem ??= new RowProblem(null, "글자가 아닌 값(짝이 없는 서로게이트 \\ud800–\\udfff)이 있습니다: 파일을 만든 프로그램에서 이 속성을 다시 적으십시오",
                        CsvSource.Truncate(p.ToString()));
                }
            }
        }
        Geometry? geometry = null;
        if (!feature.TryGetProperty("geometry", out var g) || g.ValueKind == JsonValueKind.Null)
        {
            problem = new RowProblem("geometry", "geometry가 없습니다 (null)");
        }
        else
        {
            try
            {
                geometry = g.Deserialize<Geometry>(GeometryOptions) ?? throw new JsonException("빈 geometry");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException or NotSupportedException)
            {
                problem = new RowProblem("geometry", $"좌표를 읽을 수 없습니다 (숫자가 아니거나 빠졌습니다): {e.Message.Split('\n')[0]}", CsvSource.Truncate(g.GetRawText()));
            }
        }
        return new SourceRecord { Names = [.. names], Values = [.. values], Number = number, Geometry = geometry, Problem = problem };
    }

    /// <summary>RFC 7946 has no crs member, but files from older tools carry one: "EPSG:5186", "urn:ogc:def:crs:EPSG::5186", CRS84.</summary>
    private static CoordinateSystem? ReadCrs(JsonElement crs)
    {
        if (!crs.TryGetProperty("properties", out var p) || !p.TryGetProperty("name", out var n) || n.GetString() is not { } name)
        {
            return null;
        }
        if (name.EndsWith("CRS84", StringComparison.OrdinalIgnoreCase))
        {
            return CoordinateSystems.Wgs84;
        }
        var code = name[(name.LastIndexOf(':') + 1)..];
        return CoordinateSystems.Parse(code);
    }

    public void Dispose() => _stream?.Dispose();
}
