using Paju.Field.Modbus;

namespace Paju.Field.Server.Simulation;

/// <summary>
/// A slave's registers: holding (read/write, function 3/6/16) and input (read-only, function 4).
/// Reads and writes of a block are atomic with respect to each other, so a 32-bit value is never
/// read half old, half new while the simulator updates it.
/// </summary>
public sealed class RegisterBank(int holdingCount = 256, int inputCount = 256)
{
    private readonly ushort[] _holding = new ushort[holdingCount];
    private readonly ushort[] _input = new ushort[inputCount];
    private readonly Lock _lock = new();

    public bool TryRead(ModbusFunction function, ushort address, ushort count, Span<ushort> destination)
    {
        var source = function == ModbusFunction.ReadInputRegisters ? _input : _holding;
        if (address + count > source.Length)
        {
            return false;
        }
        lock (_lock)
        {
            source.AsSpan(address, count).CopyTo(destination);
        }
        return true;
    }

    /// <summary>A master's write (function 6 or 16) to holding registers.</summary>
    public bool TryWriteHolding(ushort address, ReadOnlySpan<ushort> values)
    {
        if (address + values.Length > _holding.Length)
        {
            return false;
        }
        lock (_lock)
        {
            values.CopyTo(_holding.AsSpan(address));
        }
        return true;
    }

    /// <summary>The device's own update of its registers (a new measurement), all points at once.</summary>
    public void Update(Action<Span<ushort>, Span<ushort>> write)
    {
        lock (_lock)
        {
            write(_holding, _input);
        }
    }
}
