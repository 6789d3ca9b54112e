using System.Text;
using nietras.SeparatedValues;

namespace Paju.Field.Server.Import.Sources;

/// <summary>
/// A CSV as Korean portals export it (comma, tab or semicolon, found from the header; quoted
/// fields; UTF-8 or CP949). A row with more or fewer cells than the header is reported with its
/// line, not shifted into the wrong columns.
/// </summary>
public sealed class CsvSource : IRecordSource
{
    private readonly string _path;
    private readonly Encoding _encoding;
    private FileStream? _stream;

    public CsvSource(string path, string? encoding)
    {
        _path = path;
        _encoding = TextSource.Resolve(path, encoding);
    }

    public string Format => "csv";

    public CoordinateSystem? DeclaredCrs => null;

    public string? EncodingName => _encoding.CodePage == 949 ? "cp949" : "utf-8";

    public double Progress => _stream is { Length: > 0 } s ? (double)s.Position / s.Length : 0;

    public IEnumerable<SourceRecord> Read(CancellationToken ct)
    {
        using var text = TextSource.Open(_path, _encoding, out _stream);
        SepReader reader;
        try
        {
            reader = Sep.Reader(o => o with { HasHeader = true, DisableColCountCheck = true, Unescape = true, Trim = SepTrim.Outer }).From(text);
        }
        catch (ArgumentException e)
        {
            throw new ImportException($"CSV 머리글을 읽을 수 없습니다: {e.Message}");
        }
        using (reader)
        {
            var names = reader.Header.ColNames.Select(n => n.Trim()).ToArray();
            if (names.Length < 2)
            {
                throw new ImportException($"CSV 머리글에 열이 {names.Length}개뿐입니다: 구분자(쉼표·탭)가 맞는지, CSV 파일이 맞는지 확인하십시오");
            }
            foreach (var row in reader)
            {
                ct.ThrowIfCancellationRequested();
                if (row.ColCount == 1 && row.Span.Trim().IsEmpty)
                {
                    continue;   // a blank line, often the last one
                }
                var values = new string?[names.Length];
                var count = Math.Min(row.ColCount, names.Length);
                for (var i = 0; i < count; i++)
                {
                    var span = row[i].Span;
                    values[i] = span.IsEmpty ? null : span.ToString();
                }
                yield return new SourceRecord
                {
                    Names = names,
                    Values = values,
                    Number = row.LineNumberFrom,
                    Problem = row.ColCount == names.Length ? null
                        : new RowProblem(null, $"열 개수가 머리글과 다릅니다: {row.ColCount}개 (머리글은 {names.Length}개)", Truncate(row.Span.ToString())),
                };
            }
        }
    }

    internal static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public void Dispose() => _stream?.Dispose();
}
