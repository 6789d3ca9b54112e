using System.Text;

namespace Paju.Field.Server.Import;

/// <summary>
/// Opens a text file in the encoding it is really in. Korean portals export CSV as CP949 (EUC-KR)
/// or UTF-8, with or without a BOM; a declared encoding is checked, not trusted: a byte that is not
/// valid in it stops the import at that line rather than turning names into '?'.
/// </summary>
public static class TextSource
{
    private const int SniffBytes = 64 * 1024;

    static TextSource() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>CP949 is Windows' superset of EUC-KR: reading EUC-KR files with it loses nothing.</summary>
    public static Encoding Cp949 => Encoding.GetEncoding(949, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    public static Encoding StrictUtf8 => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>"utf-8", "cp949", "euc-kr", or null to detect: a BOM, else UTF-8 if the start is valid UTF-8, else CP949.</summary>
    public static Encoding Resolve(string path, string? declared)
    {
        switch (declared?.Trim().ToLowerInvariant())
        {
            case "utf-8" or "utf8":
                return StrictUtf8;
            case "cp949" or "euc-kr" or "euckr" or "ks_c_5601-1987":
                return Cp949;
            case null or "":
                break;
            default:
                throw new ImportException($"인코딩 '{declared}'는 지원하지 않습니다: utf-8 또는 cp949(euc-kr)");
        }
        using var file = File.OpenRead(path);
        var head = new byte[SniffBytes];
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var span = head.AsSpan(0, read);
        if (span.StartsWith(Encoding.UTF8.Preamble))
        {
            return StrictUtf8;
        }
        // A multi-byte character may be cut at the end of the sample: judge only whole characters.
        var decoder = StrictUtf8.GetDecoder();
        try
        {
            decoder.GetCharCount(span, flush: read < head.Length);
            return StrictUtf8;
        }
        catch (DecoderFallbackException)
        {
            return Cp949;
        }
    }

    /// <summary>A reader in the resolved encoding (the BOM skipped) that refuses lines over <paramref name="maxLine"/> characters.</summary>
    public static TextReader Open(string path, Encoding encoding, int maxLine = 1 << 20) => Open(path, encoding, out _, maxLine);

    /// <inheritdoc cref="Open(string, Encoding, int)"/>
    /// <param name="stream">The file underneath, whose position tells how far reading has come.</param>
    public static TextReader Open(string path, Encoding encoding, out FileStream stream, int maxLine = 1 << 20)
    {
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (stream.Length == 0)
        {
            stream.Dispose();
            throw new ImportException($"{Path.GetFileName(path)}: 빈 파일입니다");
        }
        return new GuardedReader(new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false, 1 << 16), path, encoding, maxLine);
    }

    /// <summary>
    /// The 1-based line holding the first byte that is invalid in <paramref name="encoding"/>. Lines
    /// split on 0x0A, which neither UTF-8 nor CP949 uses inside a multi-byte character.
    /// </summary>
    public static long FirstInvalidLine(string path, Encoding encoding)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var line = new List<byte>();
        long number = 1;
        int b;
        while ((b = file.ReadByte()) >= 0)
        {
            if (b != '\n')
            {
                line.Add((byte)b);
                continue;
            }
            if (!Decodes(line, encoding))
            {
                return number;
            }
            line.Clear();
            number++;
        }
        return Decodes(line, encoding) ? -1 : number;
    }

    private static bool Decodes(List<byte> line, Encoding encoding)
    {
        try
        {
            encoding.GetCharCount([.. line]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// Counts lines for error messages, turns an invalid byte into an <see cref="ImportException"/>
    /// naming the line and the likely encoding, and stops a file with no line breaks before it fills memory.
    /// </summary>
    private sealed class GuardedReader(StreamReader inner, string path, Encoding encoding, int maxLine) : TextReader
    {
        private int _line = 1;
        private int _sinceBreak;
        private bool _first = true;

        public override int Read(Span<char> buffer)
        {
            int read;
            try
            {
                read = inner.Read(buffer);
            }
            catch (DecoderFallbackException)
            {
                var other = encoding.CodePage == 949 ? "UTF-8 (--encoding utf-8)" : "CP949/EUC-KR (--encoding cp949)";
                // The reader decodes a block at a time: find the exact line by reading the file again up to it.
                throw new ImportException($"{FirstInvalidLine(path, encoding)}번째 줄에 {encoding.WebName}로 읽을 수 없는 바이트가 있습니다: 파일이 {other}일 수 있습니다");
            }
            if (_first && read > 0 && buffer[0] == '\uFEFF')
            {
                buffer[1..read].CopyTo(buffer);
                read--;
            }
            _first = false;
            foreach (var c in buffer[..read])
            {
                if (c == '\n')
                {
                    _line++;
                    _sinceBreak = 0;
                }
                else if (++_sinceBreak > maxLine)
                {
                    throw new ImportException($"{_line}번째 줄이 {maxLine:N0}자를 넘습니다: 줄바꿈이 없는 파일이거나 CSV가 아닙니다");
                }
            }
            return read;
        }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Peek() => -1;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
