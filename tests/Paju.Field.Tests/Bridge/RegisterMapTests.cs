using Paju.Field.Bridge.Config;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>Register encodings, block planning, and the sample configuration against the simulator's maps.</summary>
public sealed class RegisterMapTests
{
    [Theory]
    [InlineData(RegisterType.U16, WordOrder.HighFirst, 65535.0, new ushort[] { 0xFFFF })]
    [InlineData(RegisterType.I16, WordOrder.HighFirst, -2.0, new ushort[] { 0xFFFE })]
    [InlineData(RegisterType.U32, WordOrder.HighFirst, 305419896.0, new ushort[] { 0x1234, 0x5678 })]
    [InlineData(RegisterType.U32, WordOrder.LowFirst, 305419896.0, new ushort[] { 0x5678, 0x1234 })]
    [InlineData(RegisterType.I32, WordOrder.HighFirst, -2.0, new ushort[] { 0xFFFF, 0xFFFE })]
    [InlineData(RegisterType.I32, WordOrder.LowFirst, -2.0, new ushort[] { 0xFFFE, 0xFFFF })]
    [InlineData(RegisterType.F32, WordOrder.HighFirst, 1.0, new ushort[] { 0x3F80, 0x0000 })]
    [InlineData(RegisterType.F32, WordOrder.LowFirst, -2.5, new ushort[] { 0x0000, 0xC020 })]
    public void Types_and_word_orders_decode_and_encode(RegisterType type, WordOrder order, double value, ushort[] registers)
    {
        Assert.Equal(value, RegisterCodec.Decode(registers, type, order));
        var encoded = new ushort[registers.Length];
        RegisterCodec.Encode(value, type, order, encoded);
        Assert.Equal(registers, encoded);
    }

    [Fact]
    public void Scale_offset_and_bits_make_the_metric()
    {
        var level = new RegisterPoint { Metric = "basin_level_m", Type = RegisterType.I16, Scale = 0.01, Offset = -1 };
        Assert.Equal(2.5, level.Decode([350]), 9);
        var fault = new RegisterPoint { Metric = "pump1_fault", Bit = 1 };
        Assert.True(fault.DecodeFlag([0b10]));
        Assert.False(fault.DecodeFlag([0b01]));
    }

    [Fact]
    public void Blocks_cover_every_point_in_as_few_reads_as_the_limits_allow()
    {
        var blocks = UlgokRegisterMaps.Main.Blocks();
        Assert.Equal(2, blocks.Count);   // input 0–45, holding 0–7
        Assert.Contains(new RegisterBlock(ModbusFunction.ReadInputRegisters, 0, 46), blocks);
        Assert.Contains(new RegisterBlock(ModbusFunction.ReadHoldingRegisters, 0, 8), blocks);
        Assert.All(UlgokRegisterMaps.Main.Registers, p => Assert.Single(blocks, b => b.Contains(p)));

        var far = new RegisterMap { Registers = [new() { Metric = "a_m", Address = 0 }, new() { Metric = "b_m", Address = 200 }, new() { Metric = "c_m", Address = 203, Type = RegisterType.F32 }] };
        Assert.Equal([new RegisterBlock(ModbusFunction.ReadInputRegisters, 0, 1), new RegisterBlock(ModbusFunction.ReadInputRegisters, 200, 5)], far.Blocks());
    }

    [Fact]
    public void The_sample_configuration_describes_the_registers_the_station_simulator_serves()
    {
        var config = BridgeConfig.Load(Path.Combine(SharedData.RepositoryRoot(), "firmware-bridge", "config", "ulgok.sample.json"));
        Assert.Equal([UlgokRegisterMaps.MainModel, UlgokRegisterMaps.TankModel], config.Models.Keys.Order());
        Assert.Equal(UlgokRegisterMaps.Main.Registers, config.Models[UlgokRegisterMaps.MainModel].Registers);
        Assert.Equal(UlgokRegisterMaps.Tank.Registers, config.Models[UlgokRegisterMaps.TankModel].Registers);
        Assert.Equal(2, config.Lines.Count);
        // Usable once its secrets exist: the only errors are the missing secret files.
        Assert.All(ConfigValidator.Validate(config).Where(p => p.IsError), p => Assert.EndsWith(".secretFile", p.Path));
    }
}
