using System.Text.Json.Serialization;

namespace Paju.Field.Modbus;

[JsonConverter(typeof(JsonStringEnumConverter<RegisterType>))]
public enum RegisterType
{
    [JsonStringEnumMemberName("u16")] U16,
    [JsonStringEnumMemberName("i16")] I16,
    [JsonStringEnumMemberName("u32")] U32,
    [JsonStringEnumMemberName("i32")] I32,
    [JsonStringEnumMemberName("f32")] F32,
}

/// <summary>
/// Which 16-bit word of a 32-bit value comes first. Modbus says nothing about it and vendors
/// differ: "high-first" (ABCD, e.g. most PLCs) or "low-first" (CDAB, e.g. many meters).
/// Bytes inside a register are always big-endian.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<WordOrder>))]
public enum WordOrder
{
    [JsonStringEnumMemberName("high-first")] HighFirst,
    [JsonStringEnumMemberName("low-first")] LowFirst,
}

/// <summary>Raw registers to and from numbers: type, word order, then value = raw × scale + offset.</summary>
public static class RegisterCodec
{
    public static int Width(RegisterType type) => type is RegisterType.U16 or RegisterType.I16 ? 1 : 2;

    public static double Decode(ReadOnlySpan<ushort> registers, RegisterType type, WordOrder order)
    {
        if (Width(type) == 1)
        {
            return type == RegisterType.U16 ? registers[0] : (short)registers[0];
        }
        var (high, low) = order == WordOrder.HighFirst ? (registers[0], registers[1]) : (registers[1], registers[0]);
        var bits = ((uint)high << 16) | low;
        // Each arm is a double of its own: a switch typed float would round a u32 to 24 bits.
        return type switch
        {
            RegisterType.U32 => (double)bits,
            RegisterType.I32 => (double)(int)bits,
            _ => (double)BitConverter.UInt32BitsToSingle(bits),
        };
    }

    /// <summary>The raw registers for a value (the simulator's side of the same map).</summary>
    public static void Encode(double value, RegisterType type, WordOrder order, Span<ushort> registers)
    {
        uint bits = type switch
        {
            RegisterType.U16 => (ushort)Math.Clamp(Math.Round(value), ushort.MinValue, ushort.MaxValue),
            RegisterType.I16 => (ushort)(short)Math.Clamp(Math.Round(value), short.MinValue, short.MaxValue),
            RegisterType.U32 => (uint)Math.Clamp(Math.Round(value), uint.MinValue, uint.MaxValue),
            RegisterType.I32 => (uint)(int)Math.Clamp(Math.Round(value), int.MinValue, int.MaxValue),
            _ => BitConverter.SingleToUInt32Bits((float)value),
        };
        if (Width(type) == 1)
        {
            registers[0] = (ushort)bits;
            return;
        }
        var (high, low) = ((ushort)(bits >> 16), (ushort)bits);
        (registers[0], registers[1]) = order == WordOrder.HighFirst ? (high, low) : (low, high);
    }
}
