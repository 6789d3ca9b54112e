using System.IO.Ports;
using System.Text.Json.Serialization;

namespace Paju.Field.Modbus;

/// <summary>An RS-485 line's settings. Modbus RTU's default framing is 8E1 (8N2 when parity is off).</summary>
public sealed record SerialSettings
{
    /// <summary>The device path: /dev/ttyUSB0, /dev/ttyAMA0, or a pty for tests.</summary>
    public required string Port { get; init; }

    public int Baud { get; init; } = 19200;

    public Parity Parity { get; init; } = Parity.Even;

    public int StopBits { get; init; } = 1;

    [JsonIgnore]
    public RtuTiming Timing => new(Baud);

    public override string ToString() => $"{Port} {Baud} 8{Parity.ToString()[0]}{StopBits}";
}
