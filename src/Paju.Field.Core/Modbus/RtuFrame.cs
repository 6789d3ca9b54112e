using System.Buffers.Binary;

namespace Paju.Field.Modbus;

/// <summary>
/// RTU frames: <c>[slave][function][data][CRC lo][CRC hi]</c>, at most 256 bytes. Builds requests,
/// and tells a reader how long a frame will be from its first bytes, so neither side has to guess
/// the end of a frame from timing alone (ptys and USB adapters do not keep inter-byte timing).
/// </summary>
public static class RtuFrame
{
    public const int MaxLength = 256;
    public const int MaxReadCount = 125;
    public const int MaxWriteCount = 123;
    public const byte ExceptionFlag = 0x80;

    public static byte[] ReadRequest(byte slave, ModbusFunction function, ushort address, ushort count)
    {
        if (function is not (ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters))
        {
            throw new ArgumentException($"function {(byte)function:X2} is not a register read", nameof(function));
        }
        if (count is < 1 or > MaxReadCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a read asks for 1 to {MaxReadCount} registers");
        }
        return Frame(slave, function, address, count);
    }

    public static byte[] WriteSingleRequest(byte slave, ushort address, ushort value) =>
        Frame(slave, ModbusFunction.WriteSingleRegister, address, value);

    public static byte[] WriteMultipleRequest(byte slave, ushort address, ReadOnlySpan<ushort> values)
    {
        if (values.Length is < 1 or > MaxWriteCount)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, $"a write carries 1 to {MaxWriteCount} registers");
        }
        var frame = new byte[9 + values.Length * 2];
        frame[0] = slave;
        frame[1] = (byte)ModbusFunction.WriteMultipleRegisters;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), address);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), (ushort)values.Length);
        frame[6] = (byte)(values.Length * 2);
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(7 + i * 2), values[i]);
        }
        ModbusCrc.Append(frame);
        return frame;
    }

    /// <summary>A frame of slave, function, two 16-bit fields and the CRC (reads, write-single, write-multiple replies).</summary>
    public static byte[] Frame(byte slave, ModbusFunction function, ushort first, ushort second)
    {
        var frame = new byte[8];
        frame[0] = slave;
        frame[1] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), first);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), second);
        ModbusCrc.Append(frame);
        return frame;
    }

    /// <summary>Reply to a register read: byte count, then the registers big-endian.</summary>
    public static byte[] ReadReply(byte slave, ModbusFunction function, ReadOnlySpan<ushort> registers)
    {
        var frame = new byte[5 + registers.Length * 2];
        frame[0] = slave;
        frame[1] = (byte)function;
        frame[2] = (byte)(registers.Length * 2);
        for (var i = 0; i < registers.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(3 + i * 2), registers[i]);
        }
        ModbusCrc.Append(frame);
        return frame;
    }

    public static byte[] ExceptionReply(byte slave, byte function, ModbusExceptionCode code)
    {
        var frame = new byte[] { slave, (byte)(function | ExceptionFlag), (byte)code, 0, 0 };
        ModbusCrc.Append(frame);
        return frame;
    }

    /// <summary>
    /// The whole length of a reply from its first bytes, or null when more bytes are needed to know.
    /// An exception reply is 5 bytes; a read reply 5 + its byte count; a write reply 8.
    /// Unknown functions give -1: the reply cannot be framed.
    /// </summary>
    public static int? ReplyLength(ReadOnlySpan<byte> received)
    {
        if (received.Length < 2)
        {
            return null;
        }
        if ((received[1] & ExceptionFlag) != 0)
        {
            return 5;
        }
        return (ModbusFunction)received[1] switch
        {
            ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters => received.Length < 3 ? null : 5 + received[2],
            ModbusFunction.WriteSingleRegister or ModbusFunction.WriteMultipleRegisters => 8,
            _ => -1,
        };
    }

    /// <summary>The whole length of a request from its first bytes (null: need more; -1: unknown function).</summary>
    public static int? RequestLength(ReadOnlySpan<byte> received)
    {
        if (received.Length < 2)
        {
            return null;
        }
        return (ModbusFunction)received[1] switch
        {
            ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters or ModbusFunction.WriteSingleRegister => 8,
            ModbusFunction.WriteMultipleRegisters => received.Length < 7 ? null : 9 + received[6],
            _ => -1,
        };
    }

    /// <summary>The registers of a read reply (after its CRC was checked).</summary>
    public static ushort[] Registers(ReadOnlySpan<byte> reply)
    {
        var count = reply[2] / 2;
        var registers = new ushort[count];
        for (var i = 0; i < count; i++)
        {
            registers[i] = BinaryPrimitives.ReadUInt16BigEndian(reply[(3 + i * 2)..]);
        }
        return registers;
    }

    /// <summary>"11 03 06 AE 41 …" for logs: the bytes exactly as they were on the line.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return "(none)";
        }
        var text = new System.Text.StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            text.Append(text.Length == 0 ? "" : " ").Append(b.ToString("X2"));
        }
        return text.ToString();
    }
}
