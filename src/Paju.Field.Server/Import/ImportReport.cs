using System.Globalization;
using System.Text;
using nietras.SeparatedValues;

namespace Paju.Field.Server.Import;

/// <summary>One thing found wrong with one row (or a registry row missing from a --full file).</summary>
public sealed record ImportIssue(long? Row, string? Field, string Reason, string? Value);

/// <summary>
/// The validation report as a CSV a person opens in a spreadsheet (UTF-8 with BOM so Excel shows
/// Korean): row or feature number, field, reason, value. Written as issues are found; the first
/// ones are also kept for the screen and the batch record.
/// </summary>
public sealed class ImportReport : IDisposable
{
    public const int Kept = 10_000;

    private readonly SepWriter _writer;

    public ImportReport(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var text = new StreamWriter(Path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        _writer = Sep.Writer(o => o with { Sep = new Sep(','), Escape = true }).To(text, leaveOpen: false);
    }

    public string Path { get; }

    public List<ImportIssue> First { get; } = [];

    public long Count { get; private set; }

    public void Add(ImportIssue issue)
    {
        Count++;
        if (First.Count < Kept)
        {
            First.Add(issue);
        }
        using var row = _writer.NewRow();
        row["행"].Set(issue.Row?.ToString(CultureInfo.InvariantCulture) ?? "");
        row["필드"].Set(issue.Field ?? "");
        row["사유"].Set(issue.Reason);
        row["값"].Set(issue.Value ?? "");
    }

    public void Dispose()
    {
        if (Count == 0)
        {
            using var row = _writer.NewRow();
            row["행"].Set("");
            row["필드"].Set("");
            row["사유"].Set("문제 없음");
            row["값"].Set("");
        }
        _writer.Dispose();
    }
}
