using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Modbus;
using Paju.Field.Bridge.Polling;
using Paju.Field.Modbus;
using Paju.Field.Server.Database;
using Paju.Field.Server.Simulation;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge.Interop;

/// <summary>
/// Modbus written by others, over socat pty pairs: the bridge's master polls a slave built on
/// libmodbus (compiled here with gcc), and mbpoll, a real master, reads and writes the project's
/// station simulator.
/// </summary>
public sealed partial class InteropTests
{
    [Fact]
    public async Task Bridge_master_reads_and_writes_a_libmodbus_slave()
    {
        var gcc = Requires.Tool("gcc", "apt-get install gcc libmodbus-dev");
        if (!File.Exists("/usr/include/modbus/modbus.h"))
        {
            Requires.Missing("libmodbus headers are not installed (apt-get install libmodbus-dev)");
        }
        var dir = TempDirectory.Create("paju-libmodbus-");
        var slaveBinary = Path.Combine(dir, "libmodbus_slave");
        var source = Path.Combine(AppContext.BaseDirectory, "Bridge", "Interop", "libmodbus_slave.c");
        var compiled = await ProcessRunner.RunAsync(gcc, ["-O2", "-Wall", "-Werror", "-I/usr/include/modbus", source, "-o", slaveBinary, "-lmodbus"], null, null, default);
        Assert.True(compiled.Succeeded, compiled.StandardError);

        using var pair = SerialPairs.Start("libmodbus");
        using var slave = Process.Start(new ProcessStartInfo(slaveBinary, [pair.A, "19200", "17"]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("ready", await slave.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = 19200 });
            var master = new ModbusRtuMaster(line, TimeSpan.FromSeconds(1), retries: 1);

            Assert.Equal([0xAE41, 0x5652, 0x4340], master.ReadRegisters(17, ModbusFunction.ReadHoldingRegisters, 0, 3));
            Assert.Equal([1008, 1009], master.ReadRegisters(17, ModbusFunction.ReadInputRegisters, 8, 2));
            master.WriteRegister(17, 30, 0xBEEF);
            master.WriteRegisters(17, 31, [1, 2, 3]);
            Assert.Equal([0xBEEF, 1, 2, 3], master.ReadRegisters(17, ModbusFunction.ReadHoldingRegisters, 30, 4));
            var outside = Assert.Throws<ModbusFault>(() => master.ReadRegisters(17, ModbusFunction.ReadHoldingRegisters, 60, 10));
            Assert.Equal((byte)ModbusExceptionCode.IllegalDataAddress, outside.ExceptionCode);

            // The same through a register map, as the running bridge polls: both word orders, scale and offset.
            var map = new RegisterMap
            {
                Registers =
                [
                    new() { Metric = "float_abcd_m", Function = 3, Address = 10, Type = RegisterType.F32 },
                    new() { Metric = "float_cdab_m", Function = 3, Address = 12, Type = RegisterType.F32, WordOrder = WordOrder.LowFirst },
                    new() { Metric = "counter_count", Function = 3, Address = 20, Type = RegisterType.U32 },
                    new() { Metric = "input_level_m", Function = 4, Address = 5, Scale = 0.01, Offset = -10 },
                ],
            };
            var log = new ListLogger();
            var result = new SlavePoll(new SlaveConfig { Id = 17, Model = "libmodbus", Site = "lab", Device = "lab-plc" }, map, new SlaveHealth(), log)
                .Poll(master, DateTimeOffset.UtcNow);
            Assert.True(result.BlocksFailed == 0 && log.Lines.Count == 0, string.Join(Environment.NewLine, log.Lines));
            Assert.Equal(3.14, result.Numbers["float_abcd_m"], 5);
            Assert.Equal(-2.5, result.Numbers["float_cdab_m"], 9);
            Assert.Equal(305419896, result.Numbers["counter_count"]);
            Assert.Equal(0.05, result.Numbers["input_level_m"], 9);
        }
        finally
        {
            slave.Kill();
            await slave.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Mbpoll_reads_and_writes_the_station_simulator_slave()
    {
        var mbpoll = Requires.Tool("mbpoll", "apt-get install mbpoll");
        using var pair = SerialPairs.Start("mbpoll");
        var plant = new UlgokPlant(RainScenario.Calm, seed: 3);
        var simulator = new ModbusStationSimulator(plant, [new SerialSettings { Port = pair.A, Baud = 19200 }], new ListLogger()) { Speed = 0 };
        using var stop = new CancellationTokenSource();
        var running = simulator.RunAsync(stop.Token);
        try
        {
            // Holding registers 0–7 of station 1: the pumps' start/stop levels in mm, from the plant's set points.
            var holding = await MbpollAsync(mbpoll, pair.B, "-a", "1", "-t", "4", "-r", "1", "-c", "8");
            Assert.Equal(plant.Main.Pumps.SelectMany(p => new[] { p.StartLevelM, p.StopLevelM }).Select(m => (int)Math.Round(m * 1000)), holding);

            // Input registers of station 2 (slave 2 on the same line): level, volume, fill as the map encodes them.
            var input = await MbpollAsync(mbpoll, pair.B, "-a", "2", "-t", "3", "-r", "1", "-c", "4");
            var served = new ushort[4];
            Assert.True(simulator.TankBank.TryRead(ModbusFunction.ReadInputRegisters, 0, 4, served));
            Assert.Equal(4, input.Length);
            Assert.InRange(input[0], served[0] - 5, served[0] + 5);   // level in mm carries the sensor's ±2 mm noise
            Assert.Equal(served[1..].Select(r => (int)r), input[1..]);  // volume (u32) and fill: the physics is paused (speed 0)

            // A write with function 6 from mbpoll lands in station 1's holding registers.
            await MbpollAsync(mbpoll, pair.B, "-a", "1", "-t", "4", "-r", "20", "--", "4321");
            var written = new ushort[1];
            Assert.True(simulator.MainBank.TryRead(ModbusFunction.ReadHoldingRegisters, 19, 1, written));
            Assert.Equal(4321, written[0]);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    /// <summary>One mbpoll poll (-1), 19200 8E1; returns the register values it printed.</summary>
    private static async Task<int[]> MbpollAsync(string mbpoll, string port, params string[] arguments)
    {
        string[] args = ["-m", "rtu", "-b", "19200", "-P", "even", "-o", "2", "-1", .. arguments.TakeWhile(a => a != "--"), port, .. arguments.SkipWhile(a => a != "--").Skip(1)];
        var result = await ProcessRunner.RunAsync(mbpoll, args, null, null, default).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Succeeded, $"mbpoll {string.Join(' ', args)} exited {result.ExitCode}: {result.StandardOutput} {result.StandardError}");
        return [.. ValueLine().Matches(result.StandardOutput).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
    }

    [GeneratedRegex(@"^\[\d+\]:\s+(-?\d+)", RegexOptions.Multiline)]
    private static partial Regex ValueLine();
}
