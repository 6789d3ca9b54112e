using System.Text.Json.Serialization;

namespace Paju.Field.Modbus;

/// <summary>
/// One value in a controller's register map: where it is (function 3 holding or 4 input, 0-based
/// protocol address), how it is encoded, and the metric it becomes: value = raw × scale + offset.
/// With <see cref="Bit"/> the register is a bit field and the metric is that bit as a flag.
/// </summary>
public sealed record RegisterPoint
{
    public required string Metric { get; init; }

    /// <summary>3 (holding registers) or 4 (input registers).</summary>
    public byte Function { get; init; } = (byte)ModbusFunction.ReadInputRegisters;

    /// <summary>Protocol address, 0-based (a manual's "30001" or "40001" is address 0).</summary>
    public ushort Address { get; init; }

    public RegisterType Type { get; init; } = RegisterType.U16;

    public WordOrder WordOrder { get; init; } = WordOrder.HighFirst;

    public double Scale { get; init; } = 1;

    public double Offset { get; init; }

    /// <summary>The unit as the manual writes it; checked against the metric's suffix.</summary>
    public string? Unit { get; init; }

    /// <summary>0–15: the metric is this bit of a u16 register, as a flag.</summary>
    public int? Bit { get; init; }

    [JsonIgnore]
    public int Width => RegisterCodec.Width(Type);

    [JsonIgnore]
    public bool IsFlag => Bit is not null;

    public double Decode(ReadOnlySpan<ushort> registers) => RegisterCodec.Decode(registers, Type, WordOrder) * Scale + Offset;

    public bool DecodeFlag(ReadOnlySpan<ushort> registers) => ((registers[0] >> Bit!.Value) & 1) == 1;
}

/// <summary>A controller model's register map: every point the bridge reads from it.</summary>
public sealed record RegisterMap
{
    public string? Description { get; init; }

    public required IReadOnlyList<RegisterPoint> Registers { get; init; }

    /// <summary>
    /// The reads that cover every point: per function, contiguous runs of at most 125 registers,
    /// bridging gaps of up to <paramref name="maxGap"/> unused registers (one longer read costs less
    /// line time than two short ones: each request and reply carries 8–10 bytes of framing).
    /// </summary>
    public IReadOnlyList<RegisterBlock> Blocks(int maxGap = 8)
    {
        var blocks = new List<RegisterBlock>();
        foreach (var group in Registers.GroupBy(p => p.Function).OrderBy(g => g.Key))
        {
            var spans = group.Select(p => (Start: (int)p.Address, End: p.Address + p.Width)).OrderBy(s => s.Start).ToList();
            var start = spans[0].Start;
            var end = spans[0].End;
            foreach (var (s, e) in spans.Skip(1))
            {
                if (s - end <= maxGap && Math.Max(end, e) - start <= RtuFrame.MaxReadCount)
                {
                    end = Math.Max(end, e);
                    continue;
                }
                blocks.Add(new RegisterBlock((ModbusFunction)group.Key, (ushort)start, (ushort)(end - start)));
                (start, end) = (s, e);
            }
            blocks.Add(new RegisterBlock((ModbusFunction)group.Key, (ushort)start, (ushort)(end - start)));
        }
        return blocks;
    }
}

/// <summary>One read request: function, first address, register count.</summary>
public readonly record struct RegisterBlock(ModbusFunction Function, ushort Address, ushort Count)
{
    public bool Contains(RegisterPoint p) => (byte)Function == p.Function && p.Address >= Address && p.Address + p.Width <= Address + Count;
}
