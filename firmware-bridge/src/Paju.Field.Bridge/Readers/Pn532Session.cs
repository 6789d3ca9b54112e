using System.Diagnostics;
using Paju.Field.Modbus;

namespace Paju.Field.Bridge.Readers;

/// <summary>A tag read at the reader: its UID and, when the tag carries one, its URL exactly as read — or why it was not.</summary>
/// <param name="Interrupted">The tag left (or stopped answering) before its URL was read whole: not a check-in.</param>
public sealed record TagRead(string UidHex, string? Url, string? Problem, bool Interrupted = false);

/// <summary>A command that did not get its answer: NACKed too often, no ACK, an error frame, or silence.</summary>
public sealed class Pn532Exception(string message) : Exception(message);

/// <summary>
/// A PN532 on a UART (HSU): wake it, configure its SAM, then poll for one ISO 14443A tag and read its URL — Type 2 by
/// READ to the TLV terminator, Type 4 by selecting the NDEF application and file and ReadBinary — over one
/// <see cref="SerialLine"/>. Each command waits for the ACK (resending on a NACK), then for its answer.
/// </summary>
public sealed class Pn532Session(SerialLine line, TimeSpan? ackTimeout = null, TimeSpan? answerTimeout = null)
{
    private const int ResendsOnNack = 2;
    private const int ReadBinaryChunk = 48;   // well inside one normal frame with its headers
    private readonly Pn532FrameDecoder _decoder = new();
    private readonly Queue<Pn532Reply> _frames = new();
    private readonly TimeSpan _ackTimeout = ackTimeout ?? TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan _answerTimeout = answerTimeout ?? TimeSpan.FromSeconds(1);

    /// <summary>Frames refused on the wire (bad checksums, noise), for the reader's health.</summary>
    public IReadOnlyDictionary<Pn532FrameProblem, int> FrameProblems => _decoder.Problems;

    public int Nacks { get; private set; }

    /// <summary>Out of power-down, into normal mode; returns the chip's firmware (IC 0x32 for a PN532).</summary>
    public (byte Ic, byte Version, byte Revision) Start()
    {
        line.Write(Pn532Commands.WakeUp);
        var firmware = Pn532Commands.FirmwareOf(Exchange(Pn532Commands.GetFirmwareVersion))
            ?? throw new Pn532Exception("GetFirmwareVersion 의 응답을 읽을 수 없습니다.");
        Exchange(Pn532Commands.SamConfiguration);
        return firmware;
    }

    /// <summary>One poll: null when no tag is in the field; otherwise the tag's UID and URL (or the reason it has none).</summary>
    public TagRead? Poll()
    {
        var (target, problem) = Pn532Commands.TargetOf(Exchange(Pn532Commands.InListOneTypeA));
        if (problem is not null)
        {
            throw new Pn532Exception(problem);
        }
        if (target is null)
        {
            return null;
        }
        try
        {
            var (url, why) = target.IsType4 ? ReadType4(target.Number) : ReadType2(target.Number);
            return new TagRead(target.UidHex, url, why);
        }
        catch (TagExchangeException e)
        {
            return new TagRead(target.UidHex, null, e.Message, Interrupted: true);
        }
    }

    private (string?, string?) ReadType2(byte target)
    {
        var area = new List<byte>();
        for (byte page = 4; page < 4 + 256 / 4; page += 4)
        {
            area.AddRange(Tag(target, Pn532Commands.NtagRead(page)).Take(16));
            var needed = NdefUri.Type2BytesNeeded(area.ToArray());
            if (needed is { } n && area.Count >= n)
            {
                return NdefUri.FromType2(area.ToArray());
            }
        }
        return (null, "태그에서 NDEF 메시지의 끝을 찾지 못했습니다.");
    }

    private (string?, string?) ReadType4(byte target)
    {
        foreach (var select in new[] { Pn532Commands.SelectNdefApplication, Pn532Commands.SelectNdefFile })
        {
            if (Pn532Commands.ApduOf(Tag(target, select)).Problem is { } refused)
            {
                return (null, $"NDEF 선택 실패: {refused}");
            }
        }
        var (nlenBytes, problem) = Pn532Commands.ApduOf(Tag(target, Pn532Commands.ReadBinary(0, 2)));
        if (nlenBytes is not { Length: 2 })
        {
            return (null, problem ?? "NLEN 을 읽을 수 없습니다.");
        }
        var nlen = (nlenBytes[0] << 8) | nlenBytes[1];
        var file = new List<byte>(nlenBytes);
        while (file.Count - 2 < nlen)
        {
            var (chunk, why) = Pn532Commands.ApduOf(Tag(target, Pn532Commands.ReadBinary(file.Count, Math.Min(ReadBinaryChunk, nlen - (file.Count - 2)))));
            if (chunk is null || chunk.Length == 0)
            {
                return (null, why ?? "NDEF 파일을 끝까지 읽지 못했습니다.");
            }
            file.AddRange(chunk);
        }
        return NdefUri.FromType4(file.ToArray());
    }

    /// <summary>A tag command through InDataExchange; the tag leaving mid-read is a <see cref="TagExchangeException"/>.</summary>
    private byte[] Tag(byte target, byte[] data)
    {
        var (answer, problem) = Pn532Commands.ExchangeOf(Exchange(Pn532Commands.InDataExchange(target, data)));
        return answer ?? throw new TagExchangeException(problem!);
    }

    /// <summary>Sends a command, waits for its ACK (resending on a NACK), then for its answer; returns the answer's data.</summary>
    public byte[] Exchange(byte[] command)
    {
        for (var attempt = 0; ; attempt++)
        {
            _frames.Clear();
            _decoder.Reset();
            line.Write(Pn532FrameDecoder.Encode(command));
            var ack = Next(_ackTimeout) ?? throw new Pn532Exception($"명령 0x{command[0]:X2} 에 ACK 가 없습니다 (리더 전원·배선·속도를 확인하세요).");
            if (ack.Kind == Pn532FrameKind.Nack)
            {
                Nacks++;
                if (attempt < ResendsOnNack)
                {
                    continue;
                }
                throw new Pn532Exception($"명령 0x{command[0]:X2} 이 NACK 를 {attempt + 1}번 받았습니다.");
            }
            if (ack.Kind == Pn532FrameKind.Error)
            {
                throw new Pn532Exception($"명령 0x{command[0]:X2} 에 오류 프레임이 왔습니다.");
            }
            // Some firmware answers at once without an ACK frame: accept the answer itself.
            var answer = ack.Kind == Pn532FrameKind.Information ? ack : Next(_answerTimeout);
            if (answer is null)
            {
                throw new Pn532Exception($"명령 0x{command[0]:X2} 의 응답이 {_answerTimeout.TotalMilliseconds:F0} ms 안에 오지 않았습니다.");
            }
            if (answer.Kind == Pn532FrameKind.Error)
            {
                throw new Pn532Exception($"명령 0x{command[0]:X2} 에 오류 프레임이 왔습니다.");
            }
            if (answer.Kind != Pn532FrameKind.Information || answer.Data.Length == 0 || answer.Data[0] != command[0] + 1)
            {
                throw new Pn532Exception($"명령 0x{command[0]:X2} 에 다른 응답이 왔습니다.");
            }
            return answer.Data;
        }
    }

    private Pn532Reply? Next(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var buffer = new byte[512];
        while (_frames.Count == 0)
        {
            var read = line.Read(buffer, deadline);
            if (read == 0)
            {
                return null;
            }
            foreach (var frame in _decoder.Push(buffer.AsSpan(0, read)))
            {
                _frames.Enqueue(frame);
            }
        }
        return _frames.Dequeue();
    }

    private sealed class TagExchangeException(string message) : Exception(message);
}
