using Paju.Field.Modbus;

namespace Paju.Field.Tests.Bridge;

/// <summary>Every Modbus RTU vector of the protocol reference, byte for byte.</summary>
public sealed class ModbusVectorTests
{
    private static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Fact]
    public void Crc_check_value_of_123456789_is_4B37()
    {
        Assert.Equal(0x4B37, ModbusCrc.Compute("123456789"u8));
    }

    [Theory]
    [InlineData("11 03 00 6B 00 03 76 87")]
    [InlineData("11 03 06 AE 41 56 52 43 40 49 AD")]
    [InlineData("01 03 00 00 00 02 C4 0B")]
    [InlineData("11 04 00 08 00 01 B2 98")]
    [InlineData("11 06 00 01 00 03 9A 9B")]
    [InlineData("11 10 00 01 00 02 04 00 0A 01 02 C6 F0")]
    [InlineData("11 10 00 01 00 02 12 98")]
    [InlineData("11 83 02 C1 34")]
    public void Crc_over_a_whole_vector_frame_is_zero_and_its_last_two_bytes_are_the_crc_low_first(string hex)
    {
        var frame = Bytes(hex);
        Assert.Equal(0, ModbusCrc.Compute(frame));
        Assert.True(ModbusCrc.IsValid(frame));
        var crc = ModbusCrc.Compute(frame.AsSpan(0, frame.Length - 2));
        Assert.Equal((byte)crc, frame[^2]);
        Assert.Equal((byte)(crc >> 8), frame[^1]);
        frame[3] ^= 0x01;
        Assert.False(ModbusCrc.IsValid(frame));
    }

    [Fact]
    public void Requests_are_built_exactly_as_the_vectors()
    {
        Assert.Equal(Bytes("11 03 00 6B 00 03 76 87"), RtuFrame.ReadRequest(0x11, ModbusFunction.ReadHoldingRegisters, 0x006B, 3));
        Assert.Equal(Bytes("01 03 00 00 00 02 C4 0B"), RtuFrame.ReadRequest(0x01, ModbusFunction.ReadHoldingRegisters, 0, 2));
        Assert.Equal(Bytes("11 04 00 08 00 01 B2 98"), RtuFrame.ReadRequest(0x11, ModbusFunction.ReadInputRegisters, 8, 1));
        Assert.Equal(Bytes("11 06 00 01 00 03 9A 9B"), RtuFrame.WriteSingleRequest(0x11, 1, 3));
        Assert.Equal(Bytes("11 10 00 01 00 02 04 00 0A 01 02 C6 F0"), RtuFrame.WriteMultipleRequest(0x11, 1, [0x000A, 0x0102]));
    }

    [Fact]
    public void Replies_are_built_and_read_exactly_as_the_vectors()
    {
        var reply = Bytes("11 03 06 AE 41 56 52 43 40 49 AD");
        Assert.Equal(reply, RtuFrame.ReadReply(0x11, ModbusFunction.ReadHoldingRegisters, [0xAE41, 0x5652, 0x4340]));
        Assert.Equal([0xAE41, 0x5652, 0x4340], RtuFrame.Registers(reply));
        Assert.Equal(Bytes("11 10 00 01 00 02 12 98"), RtuFrame.Frame(0x11, ModbusFunction.WriteMultipleRegisters, 1, 2));
        Assert.Equal(Bytes("11 83 02 C1 34"), RtuFrame.ExceptionReply(0x11, 0x03, ModbusExceptionCode.IllegalDataAddress));
    }

    [Fact]
    public void Frame_lengths_are_known_from_the_first_bytes()
    {
        Assert.Null(RtuFrame.ReplyLength(Bytes("11")));
        Assert.Null(RtuFrame.ReplyLength(Bytes("11 03")));
        Assert.Equal(11, RtuFrame.ReplyLength(Bytes("11 03 06")));
        Assert.Equal(5, RtuFrame.ReplyLength(Bytes("11 83")));
        Assert.Equal(8, RtuFrame.ReplyLength(Bytes("11 06")));
        Assert.Equal(8, RtuFrame.ReplyLength(Bytes("11 10")));
        Assert.Equal(-1, RtuFrame.ReplyLength(Bytes("11 2B")));
        Assert.Equal(8, RtuFrame.RequestLength(Bytes("11 04")));
        Assert.Null(RtuFrame.RequestLength(Bytes("11 10 00 01 00 02")));
        Assert.Equal(13, RtuFrame.RequestLength(Bytes("11 10 00 01 00 02 04")));
    }

    [Fact]
    public void Read_and_write_counts_are_held_to_the_protocol_limits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RtuFrame.ReadRequest(1, ModbusFunction.ReadHoldingRegisters, 0, 126));
        Assert.Throws<ArgumentOutOfRangeException>(() => RtuFrame.ReadRequest(1, ModbusFunction.ReadInputRegisters, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RtuFrame.WriteMultipleRequest(1, 0, new ushort[124]));
        Assert.Equal(5 + 250, RtuFrame.ReadReply(1, ModbusFunction.ReadHoldingRegisters, new ushort[125]).Length);
    }

    [Theory]
    [InlineData(9600, 56)]
    [InlineData(19200, 33)]
    [InlineData(115200, 17)]
    public void Line_budget_of_ten_registers_with_10_ms_turnaround_matches_the_reference(int baud, double expectedMs)
    {
        var timing = new RtuTiming(baud);
        var transaction = timing.Transaction(requestBytes: 8, replyBytes: 5 + 10 * 2, TimeSpan.FromMilliseconds(10));
        Assert.InRange(transaction.TotalMilliseconds, expectedMs - 1, expectedMs + 1);
    }

    [Fact]
    public void Silences_are_three_and_a_half_characters_up_to_19200_and_fixed_above()
    {
        Assert.Equal(11.0 / 9600 * 3.5 * 1000, new RtuTiming(9600).InterFrame.TotalMilliseconds, 3);
        Assert.Equal(1.75, new RtuTiming(115200).InterFrame.TotalMilliseconds, 3);
        Assert.Equal(0.75, new RtuTiming(115200).InterCharacter.TotalMilliseconds, 3);
    }
}
