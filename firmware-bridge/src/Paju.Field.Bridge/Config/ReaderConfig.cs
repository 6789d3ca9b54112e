using Paju.Field.Bridge.Readers;
using Paju.Field.Modbus;

namespace Paju.Field.Bridge.Config;

/// <summary>What a fixed reader is: a QR/barcode line scanner, or a PN532 NFC reader on a UART.</summary>
public enum ReaderKind { LineScanner, Pn532 }

/// <summary>Where a fixed reader stands, for the server's distance from the tag's asset.</summary>
public sealed record ReaderPosition(double Lat, double Lon, double AccuracyM = 5);

/// <summary>
/// A tag reader wired to the gateway (an NFC reader at a pump station's door, a QR scanner at a site office). Its reads
/// are check-ins of its own device (registered with `paju device add`), through the same queue and rules as readings.
/// A reader either stands at a fixed <see cref="Position"/> or is bound to the <see cref="Operator"/> who carries it.
/// </summary>
public sealed record ReaderConfig
{
    public required string Name { get; init; }

    public required ReaderKind Kind { get; init; }

    public required SerialSettings Serial { get; init; }

    public required string Site { get; init; }

    public required string Device { get; init; }

    public string? SecretFile { get; init; }

    public string? Secret { get; init; }

    public ReaderPosition? Position { get; init; }

    public string? Operator { get; init; }

    /// <summary>The same tag again within this many seconds is the same visit: one check-in (counted as suppressed).</summary>
    public int RepeatSeconds { get; init; } = 10;

    /// <summary>Line scanners: how a scan ends, and the prefix/suffix the scanner adds (stripped).</summary>
    public LineTerminator Terminator { get; init; } = LineTerminator.Cr;

    public string Prefix { get; init; } = "";

    public string Suffix { get; init; } = "";

    public int MaxLength { get; init; } = 1024;

    /// <summary>How often the reader's health goes out on its device's <c>state</c> channel (and whenever its line opens or fails).</summary>
    public int StateSeconds { get; init; } = 60;

    /// <summary>PN532: how often to look for a tag.</summary>
    public int PollIntervalMs { get; init; } = 250;

    /// <summary>The identity its uplink signs in with (the broker's client id and user are the device id).</summary>
    public SlaveConfig Identity => new() { Id = 0, Model = "reader", Site = Site, Device = Device, Secret = Secret, SecretFile = SecretFile };
}
