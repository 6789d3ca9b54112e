namespace Paju.Field.Bridge.Readers;

/// <summary>What came off the UART where a PN532 frame was expected.</summary>
public enum Pn532FrameKind { Ack, Nack, Error, Information }

/// <summary>One frame from the PN532: an ACK, a NACK, an application error frame, or an information frame with its data.</summary>
/// <param name="Data">For an information frame: the command code and its parameters (TFI removed), e.g. <c>4B 01 …</c>.</param>
public sealed record Pn532Reply(Pn532FrameKind Kind, byte[] Data);

/// <summary>Why bytes were not a frame: counted per reader, never published.</summary>
public enum Pn532FrameProblem { LengthChecksum, DataChecksum, WrongDirection, Garbage }

/// <summary>
/// The PN532's frames over HSU (UM0701-02 §6.2): <c>00 00 FF LEN LCS TFI PD… DCS 00</c> with LEN + LCS ≡ 0 and
/// TFI + ΣPD + DCS ≡ 0 (mod 256); ACK <c>00 00 FF 00 FF 00</c>, NACK <c>00 00 FF FF 00 00</c>, the error frame
/// <c>00 00 FF 01 FF 7F 81 00</c>. Encoding for the host (TFI D4) and a decoder that takes bytes as the UART delivers
/// them — split anywhere, with noise before a preamble — and yields whole frames or says what was wrong.
/// </summary>
public sealed class Pn532FrameDecoder
{
    public const byte HostToPn532 = 0xD4;
    public const byte Pn532ToHost = 0xD5;

    private readonly List<byte> _buffer = [];

    /// <summary>Frames refused and bytes skipped, by reason (the reader's health counts these).</summary>
    public Dictionary<Pn532FrameProblem, int> Problems { get; } = [];

    /// <summary>An information frame from the host: the command code and its parameters.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> commandAndParameters)
    {
        if (commandAndParameters.Length is 0 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(commandAndParameters), "a normal frame carries 1 to 254 bytes after the TFI");
        }
        var length = (byte)(commandAndParameters.Length + 1);
        var frame = new byte[commandAndParameters.Length + 8];
        frame[0] = 0x00;
        frame[1] = 0x00;
        frame[2] = 0xFF;
        frame[3] = length;
        frame[4] = (byte)(0x100 - length);
        frame[5] = HostToPn532;
        var sum = HostToPn532;
        for (var i = 0; i < commandAndParameters.Length; i++)
        {
            frame[6 + i] = commandAndParameters[i];
            sum += commandAndParameters[i];
        }
        frame[^2] = (byte)(0x100 - sum);
        frame[^1] = 0x00;
        return frame;
    }

    public static readonly byte[] Ack = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];
    public static readonly byte[] Nack = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];

    /// <summary>Takes bytes as they arrive; returns every complete frame they finish.</summary>
    public List<Pn532Reply> Push(ReadOnlySpan<byte> bytes)
    {
        _buffer.AddRange(bytes.ToArray());
        var frames = new List<Pn532Reply>();
        while (TryTake(out var frame))
        {
            if (frame is not null)
            {
                frames.Add(frame);
            }
        }
        return frames;
    }

    /// <summary>Bytes held while a frame is incomplete (a reader's timeout drops them with <see cref="Reset"/>).</summary>
    public int Pending => _buffer.TrueForAll(b => b == 0x00) ? 0 : _buffer.Count;   // a lone 00 is the line at rest, not a frame begun

    public void Reset() => _buffer.Clear();

    /// <returns>False when more bytes are needed; true with null when bytes were skipped or a frame refused.</returns>
    private bool TryTake(out Pn532Reply? frame)
    {
        frame = null;
        // The start code 00 FF; the preamble 00 before it is optional on the wire, and anything else is noise.
        var start = -1;
        for (var i = 0; i + 1 < _buffer.Count; i++)
        {
            if (_buffer[i] == 0x00 && _buffer[i + 1] == 0xFF)
            {
                start = i;
                break;
            }
        }
        if (start < 0)
        {
            // Keep a trailing 00: it may be the start code's first half.
            var keep = _buffer.Count > 0 && _buffer[^1] == 0x00 ? 1 : 0;
            var dropped = _buffer.Count - keep;
            if (dropped > 0 && _buffer.Take(dropped).Any(b => b != 0x00 && b != 0x55))
            {
                Count(Pn532FrameProblem.Garbage);   // 00 and the wake-up's 55 are line idle, not noise
            }
            _buffer.RemoveRange(0, dropped);
            return false;
        }
        if (start > 0)
        {
            if (_buffer.Take(start).Any(b => b != 0x00 && b != 0x55))
            {
                Count(Pn532FrameProblem.Garbage);
            }
            _buffer.RemoveRange(0, start);
        }
        // _buffer[0..1] = 00 FF
        if (_buffer.Count < 4)
        {
            return false;
        }
        var len = _buffer[2];
        var lcs = _buffer[3];
        if (len == 0x00 && lcs == 0xFF)
        {
            return Consume(4, out frame, new Pn532Reply(Pn532FrameKind.Ack, []));
        }
        if (len == 0xFF && lcs == 0x00)
        {
            return Consume(4, out frame, new Pn532Reply(Pn532FrameKind.Nack, []));
        }
        if ((byte)(len + lcs) != 0)
        {
            Count(Pn532FrameProblem.LengthChecksum);
            _buffer.RemoveRange(0, 2);   // not a frame: look for the next start code
            return true;
        }
        // 00 FF LEN LCS [TFI PD…] DCS (00)
        if (_buffer.Count < 4 + len + 1)
        {
            return false;
        }
        var body = _buffer.GetRange(4, len).ToArray();
        var dcs = _buffer[4 + len];
        var sum = dcs;
        foreach (var b in body)
        {
            sum += b;
        }
        if (sum != 0)
        {
            Count(Pn532FrameProblem.DataChecksum);
            _buffer.RemoveRange(0, Math.Min(_buffer.Count, 4 + len + 1));
            return true;
        }
        if (len == 1 && body[0] == 0x7F)
        {
            return Consume(4 + len + 1, out frame, new Pn532Reply(Pn532FrameKind.Error, []));
        }
        if (body[0] != Pn532ToHost)
        {
            Count(Pn532FrameProblem.WrongDirection);   // our own request echoed, or a host talking to us
            _buffer.RemoveRange(0, 4 + len + 1);
            return true;
        }
        return Consume(4 + len + 1, out frame, new Pn532Reply(Pn532FrameKind.Information, body[1..]));
    }

    private bool Consume(int count, out Pn532Reply? frame, Pn532Reply value)
    {
        _buffer.RemoveRange(0, count);
        // The postamble 00 is optional to read: skip it when it is there.
        if (_buffer.Count > 0 && _buffer[0] == 0x00 && !(_buffer.Count > 1 && _buffer[1] == 0xFF))
        {
            _buffer.RemoveAt(0);
        }
        frame = value;
        return true;
    }

    private void Count(Pn532FrameProblem problem) => Problems[problem] = Problems.GetValueOrDefault(problem) + 1;
}
