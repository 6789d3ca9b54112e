using System.Buffers.Binary;
using System.Diagnostics;
using Paju.Field.Modbus;

namespace Paju.Field.Server.Simulation;

/// <summary>
/// A Modbus RTU slave (server) on a serial line, answering functions 3, 4, 6 and 16 from register
/// banks, one per slave id. It keeps the line's real timing although a pty delivers a frame at once:
/// a reply leaves after the request's wire time, the 3.5-character silence that ends it, the device's
/// turnaround and the reply's own wire time — what a master would see on RS-485 at this baud.
/// A frame with a bad CRC, or for another slave, gets no reply (as the spec says); an unknown function
/// or an address outside the bank gets an exception reply.
/// </summary>
public sealed class RtuSlave(SerialLine line, IReadOnlyDictionary<byte, RegisterBank> banks, TimeSpan turnaround)
{
    private static readonly TimeSpan BrokenFrameSilence = TimeSpan.FromMilliseconds(50);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<byte, bool> _silent = new();

    /// <summary>A slave id that hears requests and answers none (a cut cable, a powered-down controller).</summary>
    public void SetSilent(byte slave, bool silent) => _silent[slave] = silent;

    /// <summary>Why serving stopped, when the line failed (socat gone, the port closed under it).</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Serves until cancelled or until the line fails (see <see cref="Failure"/>). Blocking: run it on a thread of its own.</summary>
    public void Run(CancellationToken ct)
    {
        try
        {
            Serve(ct);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or UnauthorizedAccessException)
        {
            if (!ct.IsCancellationRequested)
            {
                Failure = e;
            }
        }
    }

    private void Serve(CancellationToken ct)
    {
        var timing = line.Settings.Timing;
        var frame = new byte[RtuFrame.MaxLength];
        while (!ct.IsCancellationRequested)
        {
            var length = 0;
            var read = line.Read(frame, LineClock.After(TimeSpan.FromMilliseconds(100)));
            if (read == 0)
            {
                continue;
            }
            length = read;
            int? expected;
            while (!((expected = RtuFrame.RequestLength(frame.AsSpan(0, length))) > 0 && length >= expected))
            {
                // Unknown functions cannot be framed by length: their end is the line going quiet.
                read = line.Read(frame.AsSpan(length), LineClock.After(BrokenFrameSilence));
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
            var arrived = Stopwatch.GetTimestamp();
            var framed = expected == -1 ? length >= 4 : length == expected;
            if (!framed || !ModbusCrc.IsValid(frame.AsSpan(0, length)))
            {
                // Truncated, garbage, overlong or corrupted: wait for silence and listen afresh.
                line.Drain(timing.InterFrame + BrokenFrameSilence, frame);
                continue;
            }
            var request = frame.AsSpan(0, length);
            if (!banks.TryGetValue(request[0], out var bank) || _silent.GetValueOrDefault(request[0]))
            {
                continue;   // another slave's request, or we are cut off
            }
            var reply = Answer(request, bank);
            var due = LineClock.After(arrived, timing.Wire(length) + timing.InterFrame + turnaround + timing.Wire(reply.Length));
            LineClock.WaitUntil(due);
            line.Write(reply);
        }
    }

    private static byte[] Answer(ReadOnlySpan<byte> request, RegisterBank bank)
    {
        var slave = request[0];
        var function = (ModbusFunction)request[1];
        if (!Enum.IsDefined(function))
        {
            return RtuFrame.ExceptionReply(slave, request[1], ModbusExceptionCode.IllegalFunction);
        }
        var address = BinaryPrimitives.ReadUInt16BigEndian(request[2..]);
        var second = BinaryPrimitives.ReadUInt16BigEndian(request[4..]);
        switch (function)
        {
            case ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters:
                if (second is < 1 or > RtuFrame.MaxReadCount)
                {
                    return RtuFrame.ExceptionReply(slave, request[1], ModbusExceptionCode.IllegalDataValue);
                }
                var registers = new ushort[second];
                return bank.TryRead(function, address, second, registers)
                    ? RtuFrame.ReadReply(slave, function, registers)
                    : RtuFrame.ExceptionReply(slave, request[1], ModbusExceptionCode.IllegalDataAddress);
            case ModbusFunction.WriteSingleRegister:
                return bank.TryWriteHolding(address, [second])
                    ? request.ToArray()   // the reply echoes the request
                    : RtuFrame.ExceptionReply(slave, request[1], ModbusExceptionCode.IllegalDataAddress);
            case ModbusFunction.WriteMultipleRegisters:
                if (second is < 1 or > RtuFrame.MaxWriteCount || request[6] != second * 2)
                {
                    return RtuFrame.ExceptionReply(slave, request[1], ModbusExceptionCode.IllegalDataValue);
                }
                var values = new ushort[second];
                for (var i = 0; i < second; i++)
                {
                    values[i] = BinaryPrimitives.ReadUInt16BigEndian(request[(7 + i * 2)..]);
                }
                return bank.TryWriteHolding(address, values)
                    ? RtuFrame.Frame(slave, function, address, second)
                    : RtuFrame.ExceptionReply(slave, request[1], ModbusExceptionCode.IllegalDataAddress);
            default:
                return RtuFrame.ExceptionReply(slave, request[1], ModbusExceptionCode.IllegalFunction);
        }
    }
}
