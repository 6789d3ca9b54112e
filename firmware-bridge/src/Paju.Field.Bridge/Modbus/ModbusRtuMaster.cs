using System.Diagnostics;
using Paju.Field.Modbus;

namespace Paju.Field.Bridge.Modbus;

/// <summary>
/// The Modbus RTU master (client) on one serial line: one transaction at a time, at least 3.5
/// character times of silence before every request, a reply framed by its length, checked for CRC,
/// slave and function, and retried on line faults. Exception replies are not retried: the slave
/// answered, and the answer will not change. Blocking: a line has one poller thread.
/// </summary>
public sealed class ModbusRtuMaster(SerialLine line, TimeSpan responseTimeout, int retries)
{
    private static readonly TimeSpan ChunkSlack = TimeSpan.FromMilliseconds(50);

    private readonly RtuTiming _timing = line.Settings.Timing;
    private readonly byte[] _buffer = new byte[RtuFrame.MaxLength];

    /// <summary>Faults that a retry recovered from, and the last of them (for logs).</summary>
    public Action<ModbusFault>? OnRetriedFault { get; init; }

    public ushort[] ReadRegisters(byte slave, ModbusFunction function, ushort address, ushort count)
    {
        var request = RtuFrame.ReadRequest(slave, function, address, count);
        var reply = Transact(request);
        if (reply[2] != count * 2)
        {
            throw new ModbusFault(ModbusFaultKind.Garbage, $"slave {slave} sent {reply[2]} data bytes for {count} registers", request, reply);
        }
        return RtuFrame.Registers(reply);
    }

    /// <summary>Function 6. For configuration and tests only: v1 never writes to the plant on the control room's behalf.</summary>
    public void WriteRegister(byte slave, ushort address, ushort value)
    {
        var request = RtuFrame.WriteSingleRequest(slave, address, value);
        var reply = Transact(request);
        if (!reply.AsSpan().SequenceEqual(request))
        {
            throw new ModbusFault(ModbusFaultKind.Garbage, $"slave {slave} did not echo the write", request, reply);
        }
    }

    /// <summary>Function 16. For configuration and tests only.</summary>
    public void WriteRegisters(byte slave, ushort address, ReadOnlySpan<ushort> values)
    {
        var request = RtuFrame.WriteMultipleRequest(slave, address, values);
        var reply = Transact(request);
        if (!reply.AsSpan(0, 6).SequenceEqual(request.AsSpan(0, 6)))
        {
            throw new ModbusFault(ModbusFaultKind.Garbage, $"slave {slave} confirmed another address or count", request, reply);
        }
    }

    /// <summary>Sends a request and returns the checked reply; retries line faults up to the configured count.</summary>
    public byte[] Transact(byte[] request)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return TransactOnce(request);
            }
            catch (ModbusFault fault) when (fault.Kind != ModbusFaultKind.Exception && attempt < retries)
            {
                OnRetriedFault?.Invoke(fault);
            }
        }
    }

    private byte[] TransactOnce(byte[] request)
    {
        // The line must have been quiet for t3.5 since the last byte either way.
        LineClock.WaitUntil(LineClock.After(line.LastActivity, _timing.InterFrame));
        // A reply that came after its timeout must not be taken for this request's (RTU replies carry no address).
        line.DiscardInput();
        line.Write(request);
        var sent = Stopwatch.GetTimestamp();
        // The reply can only start after our request has left the wire; the timeout counts from there.
        var deadline = LineClock.After(sent, _timing.Wire(request.Length) + responseTimeout);
        var latest = LineClock.After(sent, _timing.Wire(request.Length) + responseTimeout + _timing.Wire(RtuFrame.MaxLength) + ChunkSlack);
        var length = 0;
        int? expected = null;
        while (length < RtuFrame.MaxLength)
        {
            var read = line.Read(_buffer.AsSpan(length), deadline);
            if (read == 0)
            {
                break;
            }
            length += read;
            expected = RtuFrame.ReplyLength(_buffer.AsSpan(0, length));
            if (expected is { } e && (e < 0 || length >= e))
            {
                break;
            }
            // Once a reply has started, the rest of it is due within its own wire time (plus slack
            // for USB adapters and ptys that deliver in chunks) from the last bytes seen, whatever
            // remains of the response timeout: a long reply at a low baud outlasts the timeout.
            var remaining = expected is { } more ? more - length : RtuFrame.MaxLength;
            deadline = Math.Min(latest, LineClock.After(_timing.Wire(remaining) + ChunkSlack));
        }
        var received = _buffer.AsSpan(0, length).ToArray();
        var slave = request[0];
        var function = request[1];
        if (length == 0)
        {
            throw new ModbusFault(ModbusFaultKind.Timeout, $"slave {slave}: no reply within {responseTimeout.TotalMilliseconds:F0} ms", request, received);
        }
        if (expected is < 0 || (received[0] != slave && !ModbusCrc.IsValid(received)))
        {
            Drain();
            throw new ModbusFault(ModbusFaultKind.Garbage, $"slave {slave}: {length} bytes that are no Modbus reply", request, received);
        }
        if (expected is null || length < expected)
        {
            Drain();
            throw new ModbusFault(ModbusFaultKind.Truncated, $"slave {slave}: reply cut off after {length} of {expected?.ToString() ?? "?"} bytes", request, received);
        }
        if (length > expected)
        {
            Drain();
            throw new ModbusFault(ModbusFaultKind.Garbage, $"slave {slave}: {length - expected} bytes after the reply", request, received);
        }
        if (!ModbusCrc.IsValid(received))
        {
            Drain();
            throw new ModbusFault(ModbusFaultKind.BadCrc, $"slave {slave}: reply with a wrong CRC", request, received);
        }
        if (received[0] != slave)
        {
            throw new ModbusFault(ModbusFaultKind.WrongSlave, $"asked slave {slave}, slave {received[0]} answered", request, received);
        }
        if (received[1] == (function | RtuFrame.ExceptionFlag))
        {
            var code = received[2];
            throw new ModbusFault(ModbusFaultKind.Exception, $"slave {slave}: exception {code:X2}, {ModbusExceptionCodes.Describe(code)}", request, received, code);
        }
        if (received[1] != function)
        {
            throw new ModbusFault(ModbusFaultKind.Garbage, $"slave {slave}: reply to function {received[1]:X2}, asked {function:X2}", request, received);
        }
        return received;
    }

    /// <summary>After a broken reply: drop the rest of it, so the next transaction starts clean.</summary>
    private void Drain() => line.Drain(_timing.InterFrame + TimeSpan.FromMilliseconds(20), _buffer);
}
