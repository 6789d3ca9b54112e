using Paju.Field.Modbus;

namespace Paju.Field.Bridge.Modbus;

/// <summary>Why a transaction failed. Counted per slave and published as its health.</summary>
public enum ModbusFaultKind
{
    /// <summary>Nothing came back before the response timeout.</summary>
    Timeout,

    /// <summary>The start of a reply, then silence.</summary>
    Truncated,

    /// <summary>A reply of the right shape whose CRC does not match.</summary>
    BadCrc,

    /// <summary>A well-formed reply from a slave other than the one asked.</summary>
    WrongSlave,

    /// <summary>Bytes that are no reply to this request (noise, a wrong function, a wrong byte count).</summary>
    Garbage,

    /// <summary>The slave answered with a Modbus exception (its code is in the fault).</summary>
    Exception,
}

/// <summary>A failed transaction: the kind, what was sent and received (for the hex dump), and the exception code.</summary>
public sealed class ModbusFault(ModbusFaultKind kind, string reason, byte[] request, byte[] received, byte? exceptionCode = null)
    : Exception(reason)
{
    public ModbusFaultKind Kind { get; } = kind;

    public byte[] Request { get; } = request;

    public byte[] Received { get; } = received;

    public byte? ExceptionCode { get; } = exceptionCode;

    /// <summary>One log line: the reason and both frames in hex.</summary>
    public string Describe() => $"{Message}; sent [{RtuFrame.Hex(Request)}], received [{RtuFrame.Hex(Received)}]";
}
