using System.Text;

namespace Paju.Field.Bridge.Readers;

/// <summary>How a line scanner ends a scan: CR (most models' default), LF, or CR LF.</summary>
public enum LineTerminator { Cr, Lf, CrLf }

/// <summary>What a line scanner's bytes were, when they were not a scan: counted and logged, never published.</summary>
public enum LineProblem { Partial, Overlong, NotUtf8, Garbage }

/// <summary>
/// A QR or barcode scanner in serial (or USB-CDC) mode: one scan per line. Bytes arrive as the UART delivers them; a
/// line is a scan only when it ends with the configured terminator, fits <see cref="MaxLength"/>, is UTF-8, has no
/// control characters, and carries the configured prefix and suffix (which are stripped). Anything else is a problem,
/// counted by kind; a line the scanner never finished is dropped when the line goes quiet (<see cref="Idle"/>).
/// </summary>
public sealed class LineScannerFramer(LineTerminator terminator = LineTerminator.Cr, string prefix = "", string suffix = "", int maxLength = 2048)
{
    private readonly List<byte> _line = [];
    private bool _overlong;
    private bool _skipLf;

    public int MaxLength { get; } = maxLength;

    public Dictionary<LineProblem, int> Problems { get; } = [];

    /// <summary>The last problem in words, for the log and `paju-bridge status`.</summary>
    public string? LastProblem { get; private set; }

    public List<string> Push(ReadOnlySpan<byte> bytes)
    {
        var scans = new List<string>();
        foreach (var b in bytes)
        {
            if (_skipLf)
            {
                _skipLf = false;
                if (b == (byte)'\n')
                {
                    continue;   // a CR LF scanner on a CR line: the LF belongs to the line just ended
                }
            }
            var ends = terminator switch
            {
                LineTerminator.Cr => b == (byte)'\r',
                _ => b == (byte)'\n',
            };
            if (!ends)
            {
                if (_line.Count >= MaxLength)
                {
                    _overlong = true;   // keep reading to the terminator, then drop the whole line
                    continue;
                }
                _line.Add(b);
                continue;
            }
            if (terminator == LineTerminator.Cr)
            {
                _skipLf = true;
            }
            if (terminator != LineTerminator.Cr && _line.Count > 0 && _line[^1] == (byte)'\r')
            {
                _line.RemoveAt(_line.Count - 1);
            }
            if (Finish() is { } scan)
            {
                scans.Add(scan);
            }
        }
        return scans;
    }

    /// <summary>The line went quiet with a scan unfinished (a cable pulled, a scanner reset): those bytes are not a scan.</summary>
    public void Idle()
    {
        if (_line.Count > 0 || _overlong)
        {
            Problem(LineProblem.Partial, $"끝나지 않은 줄 {_line.Count}바이트를 버렸습니다.");
        }
        _line.Clear();
        _overlong = false;
    }

    public bool HasPartial => _line.Count > 0 || _overlong;

    private string? Finish()
    {
        try
        {
            if (_overlong)
            {
                Problem(LineProblem.Overlong, $"{MaxLength}바이트보다 긴 줄을 버렸습니다.");
                return null;
            }
            if (_line.Count == 0)
            {
                return null;   // a blank line: some scanners send one after power-up
            }
            string text;
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. _line]);
            }
            catch (DecoderFallbackException)
            {
                Problem(LineProblem.NotUtf8, "UTF-8 이 아닌 바이트가 든 줄을 버렸습니다 (스캐너의 문자 설정을 확인하세요).");
                return null;
            }
            if (text.Any(char.IsControl))
            {
                Problem(LineProblem.Garbage, "제어 문자가 든 줄을 버렸습니다 (통신 속도·프레이밍이 맞는지 확인하세요).");
                return null;
            }
            if (!text.StartsWith(prefix, StringComparison.Ordinal) || !text.EndsWith(suffix, StringComparison.Ordinal)
                || text.Length < prefix.Length + suffix.Length)
            {
                Problem(LineProblem.Garbage, "정해진 앞뒤 글자(prefix/suffix)가 없는 줄을 버렸습니다.");
                return null;
            }
            var scan = text[prefix.Length..^suffix.Length];
            if (scan.Length == 0)
            {
                Problem(LineProblem.Garbage, "앞뒤 글자만 있고 내용이 없는 줄을 버렸습니다.");
                return null;
            }
            return scan;
        }
        finally
        {
            _line.Clear();
            _overlong = false;
        }
    }

    private void Problem(LineProblem kind, string words)
    {
        Problems[kind] = Problems.GetValueOrDefault(kind) + 1;
        LastProblem = words;
    }
}
