namespace Paju.Field.Modbus;

/// <summary>The function codes this system speaks. v1 reads the plant; writes are for configuration and tests.</summary>
public enum ModbusFunction : byte
{
    ReadHoldingRegisters = 0x03,
    ReadInputRegisters = 0x04,
    WriteSingleRegister = 0x06,
    WriteMultipleRegisters = 0x10,
}

/// <summary>Exception codes of the Modbus application protocol (V1.1b3, section 7).</summary>
public enum ModbusExceptionCode : byte
{
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    NegativeAcknowledge = 0x07,
    MemoryParityError = 0x08,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetFailedToRespond = 0x0B,
}

public static class ModbusExceptionCodes
{
    /// <summary>What the code means, for a log line a technician can act on.</summary>
    public static string Describe(byte code) => (ModbusExceptionCode)code switch
    {
        ModbusExceptionCode.IllegalFunction => "illegal function (the controller does not support this function code)",
        ModbusExceptionCode.IllegalDataAddress => "illegal data address (check the register map's addresses: 0-based vs 1-based?)",
        ModbusExceptionCode.IllegalDataValue => "illegal data value (count or value out of range)",
        ModbusExceptionCode.ServerDeviceFailure => "server device failure (the controller reported an internal fault)",
        ModbusExceptionCode.Acknowledge => "acknowledge (long-running request accepted)",
        ModbusExceptionCode.ServerDeviceBusy => "server device busy (retry later)",
        ModbusExceptionCode.NegativeAcknowledge => "negative acknowledge",
        ModbusExceptionCode.MemoryParityError => "memory parity error",
        ModbusExceptionCode.GatewayPathUnavailable => "gateway path unavailable",
        ModbusExceptionCode.GatewayTargetFailedToRespond => "gateway target device failed to respond",
        _ => "unknown exception code",
    };
}
