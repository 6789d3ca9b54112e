namespace Paju.Field.Modbus;

/// <summary>
/// Wire times of an RTU line. A character is 11 bits (start, 8 data, parity or a second stop bit,
/// stop). Frames are separated by at least 3.5 character times; above 19200 baud the spec fixes
/// the gaps at 1.75 ms (between frames) and 0.75 ms (inside a frame).
/// </summary>
public readonly record struct RtuTiming(int Baud)
{
    public const int BitsPerCharacter = 11;

    public TimeSpan Character => TimeSpan.FromSeconds(BitsPerCharacter / (double)Baud);

    /// <summary>t3.5: the silence that ends a frame and must precede the next one.</summary>
    public TimeSpan InterFrame => Baud > 19200 ? TimeSpan.FromMilliseconds(1.75) : Character * 3.5;

    /// <summary>t1.5: a longer gap inside a frame invalidates it.</summary>
    public TimeSpan InterCharacter => Baud > 19200 ? TimeSpan.FromMilliseconds(0.75) : Character * 1.5;

    /// <summary>How long <paramref name="bytes"/> take on the wire: bytes × 11 / baud.</summary>
    public TimeSpan Wire(int bytes) => TimeSpan.FromSeconds(bytes * BitsPerCharacter / (double)Baud);

    /// <summary>
    /// One transaction on an ideal line: request and reply on the wire, the device's turnaround,
    /// and the silence after each frame. Its inverse is the line's capacity in transactions/s.
    /// </summary>
    public TimeSpan Transaction(int requestBytes, int replyBytes, TimeSpan turnaround) =>
        Wire(requestBytes + replyBytes) + turnaround + InterFrame * 2;
}
