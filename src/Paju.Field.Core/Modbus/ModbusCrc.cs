namespace Paju.Field.Modbus;

/// <summary>
/// CRC-16/MODBUS: initial 0xFFFF, reflected polynomial 0xA001, sent low byte first. Run over a
/// whole frame including its CRC it gives 0, which is how a received frame is checked.
/// </summary>
public static class ModbusCrc
{
    private static readonly ushort[] Table = BuildTable();

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ushort crc = 0xFFFF;
        foreach (var b in data)
        {
            crc = (ushort)((crc >> 8) ^ Table[(crc ^ b) & 0xFF]);
        }
        return crc;
    }

    /// <summary>True when the frame's last two bytes are the CRC of the rest.</summary>
    public static bool IsValid(ReadOnlySpan<byte> frame) => frame.Length >= 4 && Compute(frame) == 0;

    /// <summary>Writes the CRC of <paramref name="frame"/>[..^2] into its last two bytes.</summary>
    public static void Append(Span<byte> frame)
    {
        var crc = Compute(frame[..^2]);
        frame[^2] = (byte)crc;
        frame[^1] = (byte)(crc >> 8);
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (var i = 0; i < 256; i++)
        {
            var value = (ushort)i;
            for (var bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (ushort)((value >> 1) ^ 0xA001) : (ushort)(value >> 1);
            }
            table[i] = value;
        }
        return table;
    }
}
