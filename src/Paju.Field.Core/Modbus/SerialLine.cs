using System.Diagnostics;
using System.IO.Ports;

namespace Paju.Field.Modbus;

/// <summary>
/// An open serial line (System.IO.Ports): raw bytes in and out, reads with a deadline, and the
/// time of the last byte seen so callers can keep the line's silences.
/// </summary>
public sealed class SerialLine : IDisposable
{
    private readonly SerialPort _port;

    public SerialLine(SerialSettings settings)
    {
        Settings = settings;
        _port = new SerialPort(settings.Port, settings.Baud, settings.Parity, 8, settings.StopBits switch
        {
            2 => StopBits.Two,
            _ => StopBits.One,
        })
        {
            Handshake = Handshake.None,
            ReadBufferSize = 4096,
            WriteBufferSize = 4096,
            WriteTimeout = 2000,
        };
        try
        {
            _port.Open();
            _port.DiscardInBuffer();
        }
        catch
        {
            _port.Dispose();   // reopened every few seconds by the poller: no descriptor may leak
            throw;
        }
    }

    /// <summary>Drops whatever the line delivered and nobody read (the kernel's buffer too).</summary>
    public void DiscardInput() => _port.DiscardInBuffer();

    public SerialSettings Settings { get; }

    /// <summary>Stopwatch timestamp of the last byte written or read.</summary>
    public long LastActivity { get; private set; } = Stopwatch.GetTimestamp();

    public void Write(ReadOnlySpan<byte> frame)
    {
        _port.BaseStream.Write(frame);
        LastActivity = Stopwatch.GetTimestamp();
    }

    /// <summary>Reads what arrives before <paramref name="deadline"/> (a Stopwatch timestamp); 0 when nothing did.</summary>
    public int Read(Span<byte> buffer, long deadline)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            return 0;
        }
        _port.ReadTimeout = Math.Max(1, (int)Math.Ceiling(remaining.TotalMilliseconds));
        try
        {
            var read = _port.BaseStream.Read(buffer);
            if (read > 0)
            {
                LastActivity = Stopwatch.GetTimestamp();
            }
            return read;
        }
        catch (TimeoutException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Drops whatever is waiting, then waits for the line to stay silent for <paramref name="silence"/>,
    /// but never longer than a second: a babbling device must not stall the poller.
    /// </summary>
    public int Drain(TimeSpan silence, Span<byte> sink)
    {
        var dropped = 0;
        var giveUp = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < giveUp)
        {
            var read = Read(sink, Stopwatch.GetTimestamp() + (long)(silence.TotalSeconds * Stopwatch.Frequency));
            if (read == 0)
            {
                return dropped;
            }
            dropped += read;
        }
        return dropped;
    }

    public void Dispose() => _port.Dispose();
}
