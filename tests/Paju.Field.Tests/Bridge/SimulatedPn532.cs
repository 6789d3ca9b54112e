using Paju.Field.Modbus;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// A PN532 on the other end of a socat pty, speaking real HSU frames: ACK then the answer to each command, a Type 2
/// tag (NTAG READ of its memory) or a Type 4 tag (NDEF application and file, ReadBinary) in the field, and the faults a
/// reader meets — NACKs, a corrupted answer, an error frame, silence, a card taken away mid-read.
/// </summary>
public sealed class SimulatedPn532 : IDisposable
{
    public sealed record Tag(byte[] Uid, bool Type4, Func<byte[]> Memory);

    private readonly SerialLine _line;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly List<byte> _buffer = [];
    private byte[] _file = [];
    private int _exchanges;

    public SimulatedPn532(string port)
    {
        _line = new SerialLine(new SerialSettings { Port = port, Baud = 115200, Parity = System.IO.Ports.Parity.None });
        _thread = new Thread(Serve) { IsBackground = true, Name = "simulated PN532" };
        _thread.Start();
    }

    public volatile Tag? InField;
    public volatile int NackNext;
    public volatile int CorruptNext;
    public volatile int ErrorNext;
    public volatile int SilentNext;
    /// <summary>The tag leaves the field after this many InDataExchange commands of one read (0: never).</summary>
    public volatile int RemoveAfterExchanges;

    /// <summary>A Type 2 tag's memory from page 4: the NDEF TLV of a URI record, then the terminator.</summary>
    public static byte[] Type2Memory(string url)
    {
        var message = UriMessage(url);
        return [0x03, (byte)message.Length, .. message, 0xFE];
    }

    /// <summary>A Type 4 tag's NDEF file: NLEN, then the message.</summary>
    public static byte[] Type4File(string url)
    {
        var message = UriMessage(url);
        return [(byte)(message.Length >> 8), (byte)message.Length, .. message];
    }

    private static byte[] UriMessage(string url)
    {
        var rest = System.Text.Encoding.UTF8.GetBytes(url.StartsWith("https://", StringComparison.Ordinal) ? url[8..] : url);
        byte prefix = url.StartsWith("https://", StringComparison.Ordinal) ? (byte)0x04 : (byte)0x00;
        return [0xD1, 0x01, (byte)(rest.Length + 1), 0x55, prefix, .. rest];
    }

    private void Serve()
    {
        var chunk = new byte[256];
        while (!_stop.IsCancellationRequested)
        {
            int read;
            try
            {
                read = _line.Read(chunk, System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 10);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _buffer.AddRange(chunk.AsSpan(0, read).ToArray());
            while (TakeCommand() is { } command)
            {
                Answer(command);
            }
        }
    }

    /// <summary>A host frame's command and parameters (after the D4), or null while none is complete.</summary>
    private byte[]? TakeCommand()
    {
        for (var i = 0; i + 1 < _buffer.Count; i++)
        {
            if (_buffer[i] != 0x00 || _buffer[i + 1] != 0xFF)
            {
                continue;
            }
            if (i + 4 > _buffer.Count)
            {
                return null;
            }
            var len = _buffer[i + 2];
            if (i + 4 + len + 1 > _buffer.Count)
            {
                return null;
            }
            var body = _buffer.GetRange(i + 4, len).ToArray();
            _buffer.RemoveRange(0, i + 4 + len + 1);
            if (body.Length > 1 && body[0] == 0xD4)
            {
                return body[1..];
            }
        }
        return null;
    }

    private void Answer(byte[] command)
    {
        if (SilentNext > 0)
        {
            SilentNext--;
            return;
        }
        if (NackNext > 0)
        {
            NackNext--;
            _line.Write([0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00]);
            return;
        }
        _line.Write([0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00]);
        if (ErrorNext > 0)
        {
            ErrorNext--;
            _line.Write([0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]);
            return;
        }
        var reply = command[0] switch
        {
            0x02 => new byte[] { 0x03, 0x32, 0x01, 0x06, 0x07 },
            0x14 => [0x15],
            0x4A => InList(),
            0x40 => Exchange(command[2..]),
            _ => [(byte)(command[0] + 1)],
        };
        var frame = Frame(reply);
        if (CorruptNext > 0)
        {
            CorruptNext--;
            frame[^2] ^= 0x5A;   // the data checksum no longer adds up
        }
        _line.Write(frame);
    }

    private byte[] InList()
    {
        _exchanges = 0;
        if (InField is not { } tag)
        {
            return [0x4B, 0x00];
        }
        _file = tag.Memory();   // a SUN tag's URL is fresh on every read
        byte[] ats = tag.Type4 ? [0x06, 0x77, 0x77, 0x71, 0x02, 0x80] : [];
        return [0x4B, 0x01, 0x01, 0x00, 0x44, (byte)(tag.Type4 ? 0x20 : 0x00), (byte)tag.Uid.Length, .. tag.Uid, .. ats];
    }

    private byte[] Exchange(byte[] data)
    {
        if (RemoveAfterExchanges > 0 && ++_exchanges > RemoveAfterExchanges)
        {
            InField = null;
        }
        if (InField is not { } tag)
        {
            return [0x41, 0x01];   // timeout: the tag is gone
        }
        if (!tag.Type4 && data is [0x30, var page])
        {
            var from = (page - 4) * 4;
            var bytes = new byte[16];
            for (var i = 0; i < 16; i++)
            {
                bytes[i] = from + i >= 0 && from + i < _file.Length ? _file[from + i] : (byte)0x00;
            }
            return [0x41, 0x00, .. bytes];
        }
        if (tag.Type4 && data is [0x00, 0xA4, ..])
        {
            return [0x41, 0x00, 0x90, 0x00];
        }
        if (tag.Type4 && data is [0x00, 0xB0, var hi, var lo, var le])
        {
            var offset = (hi << 8) | lo;
            var part = _file.Skip(offset).Take(le).ToArray();
            return [0x41, 0x00, .. part, 0x90, 0x00];
        }
        return [0x41, 0x27];
    }

    private static byte[] Frame(byte[] data)
    {
        var length = (byte)(data.Length + 1);
        byte sum = 0xD5;
        foreach (var b in data)
        {
            sum += b;
        }
        return [0x00, 0x00, 0xFF, length, (byte)(0x100 - length), 0xD5, .. data, (byte)(0x100 - sum), 0x00];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(2));
        _line.Dispose();
    }
}
