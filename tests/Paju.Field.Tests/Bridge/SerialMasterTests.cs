using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Modbus;
using Paju.Field.Bridge.Polling;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// The bridge's RTU master on a real pty: against the project's slave for every function, and
/// against a scripted far end for every way a line goes wrong — each counted, logged with a hex
/// dump, never a crash, never a value published from a bad frame, and the line usable afterwards.
/// </summary>
public sealed class SerialMasterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void Master_reads_and_writes_the_project_slave_with_functions_3_4_6_and_16_and_surfaces_exception_codes()
    {
        using var pair = SerialPairs.Start("functions");
        var bank = new RegisterBank(holdingCount: 32, inputCount: 32);
        bank.Update((holding, input) =>
        {
            holding[0] = 0xAE41;
            holding[1] = 0x5652;
            input[8] = 0x4340;
        });
        using var slaveLine = new SerialLine(new SerialSettings { Port = pair.A, Baud = 115200 });
        var slave = new RtuSlave(slaveLine, new Dictionary<byte, RegisterBank> { [0x11] = bank }, TimeSpan.FromMilliseconds(1));
        using var stop = new CancellationTokenSource();
        var serving = new Thread(() => slave.Run(stop.Token)) { IsBackground = true };
        serving.Start();
        try
        {
            using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = 115200 });
            var master = new ModbusRtuMaster(line, TimeSpan.FromSeconds(2), retries: 0);
            Assert.Equal([0xAE41, 0x5652], master.ReadRegisters(0x11, ModbusFunction.ReadHoldingRegisters, 0, 2));
            Assert.Equal([0x4340], master.ReadRegisters(0x11, ModbusFunction.ReadInputRegisters, 8, 1));
            master.WriteRegister(0x11, 1, 3);
            master.WriteRegisters(0x11, 2, [0x000A, 0x0102]);
            Assert.Equal([0xAE41, 3, 0x000A, 0x0102], master.ReadRegisters(0x11, ModbusFunction.ReadHoldingRegisters, 0, 4));

            var outside = Assert.Throws<ModbusFault>(() => master.ReadRegisters(0x11, ModbusFunction.ReadHoldingRegisters, 30, 5));
            Assert.Equal(ModbusFaultKind.Exception, outside.Kind);
            Assert.Equal((byte)ModbusExceptionCode.IllegalDataAddress, outside.ExceptionCode);
            Assert.Contains("illegal data address", outside.Message);

            var unknown = new byte[] { 0x11, 0x2B, 0x0E, 0x01, 0x00, 0x00 };
            ModbusCrc.Append(unknown);
            var function = Assert.Throws<ModbusFault>(() => master.Transact(unknown));
            Assert.Equal((byte)ModbusExceptionCode.IllegalFunction, function.ExceptionCode);

            // Another slave's request gets no answer from this one: the master times out.
            Assert.Equal(ModbusFaultKind.Timeout, Assert.Throws<ModbusFault>(() => new ModbusRtuMaster(line, Timeout, 0).ReadRegisters(0x12, ModbusFunction.ReadHoldingRegisters, 0, 1)).Kind);
        }
        finally
        {
            stop.Cancel();
            serving.Join();
        }
    }

    public static TheoryData<string, ModbusFaultKind> BadReplies => new()
    {
        { "garbage", ModbusFaultKind.Garbage },
        { "truncated", ModbusFaultKind.Truncated },
        { "wrong-crc", ModbusFaultKind.BadCrc },
        { "wrong-slave", ModbusFaultKind.WrongSlave },
        { "exception", ModbusFaultKind.Exception },
        { "silence", ModbusFaultKind.Timeout },
        { "wrong-function", ModbusFaultKind.Garbage },
        { "wrong-count", ModbusFaultKind.Garbage },
    };

    [Theory]
    [MemberData(nameof(BadReplies))]
    public void A_bad_reply_is_counted_and_logged_in_hex_publishes_nothing_and_the_next_poll_works(string badness, ModbusFaultKind expected)
    {
        using var pair = SerialPairs.Start(badness);
        var polls = 0;
        using var far = new ScriptedSlave(new SerialSettings { Port = pair.A, Baud = 19200 }, request =>
        {
            var good = RtuFrame.ReadReply(request[0], (ModbusFunction)request[1], [1234]);
            if (Interlocked.Increment(ref polls) > 1)
            {
                return good;
            }
            return badness switch
            {
                "garbage" => [0xFF, 0x00, 0x13, 0x37, 0x42, 0x99, 0x01],
                "truncated" => good[..4],
                "wrong-crc" => [.. good[..^1], (byte)(good[^1] ^ 0x5A)],
                "wrong-slave" => Reframed(good, slave: (byte)(request[0] + 1)),
                "exception" => RtuFrame.ExceptionReply(request[0], request[1], ModbusExceptionCode.ServerDeviceFailure),
                "wrong-function" => RtuFrame.ReadReply(request[0], ModbusFunction.ReadHoldingRegisters, [1234]),
                "wrong-count" => RtuFrame.ReadReply(request[0], (ModbusFunction)request[1], [1234, 5678]),
                _ => null,
            };
        });
        using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = 19200 });
        var master = new ModbusRtuMaster(line, Timeout, retries: 0);
        var log = new ListLogger();
        var health = new SlaveHealth();
        var slave = new SlaveConfig { Id = 7, Model = "m", Site = "s", Device = "d" };
        var map = new RegisterMap { Registers = [new() { Metric = "basin_level_m", Address = 3, Scale = 0.001 }] };
        var poll = new SlavePoll(slave, map, health, log);

        var first = poll.Poll(master, DateTimeOffset.UtcNow);
        Assert.Empty(first.Numbers);
        Assert.Equal(1, first.BlocksFailed);
        Assert.Equal(1, health.Count(expected));
        Assert.False(health.Online);
        var logged = Assert.Single(log.Lines);
        Assert.Contains("sent [07 04 00 03 00 01", logged);
        if (expected != ModbusFaultKind.Timeout)
        {
            Assert.Matches(@"received \[[0-9A-F]{2}( [0-9A-F]{2})+\]", logged);
        }

        var second = poll.Poll(master, DateTimeOffset.UtcNow);
        Assert.Equal(1.234, second.Numbers["basin_level_m"], 9);
        Assert.True(health.Online);
    }

    [Fact]
    public void A_line_fault_is_retried_and_the_retry_is_counted()
    {
        using var pair = SerialPairs.Start("retry");
        var calls = 0;
        using var far = new ScriptedSlave(new SerialSettings { Port = pair.A, Baud = 19200 }, request =>
            Interlocked.Increment(ref calls) == 1 ? null : RtuFrame.ReadReply(request[0], ModbusFunction.ReadInputRegisters, [42]));
        using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = 19200 });
        var retried = new List<ModbusFault>();
        var master = new ModbusRtuMaster(line, Timeout, retries: 2) { OnRetriedFault = retried.Add };
        Assert.Equal([42], master.ReadRegisters(1, ModbusFunction.ReadInputRegisters, 0, 1));
        Assert.Equal(ModbusFaultKind.Timeout, Assert.Single(retried).Kind);
        Assert.Equal(2, far.Requests.Count);
    }

    [Fact]
    public void A_reply_that_came_after_its_timeout_is_not_taken_for_the_next_request()
    {
        using var pair = SerialPairs.Start("late");
        var calls = 0;
        using var far = new ScriptedSlave(new SerialSettings { Port = pair.A, Baud = 19200 }, request =>
        {
            var call = Interlocked.Increment(ref calls);
            if (call == 1)
            {
                Thread.Sleep(Timeout + TimeSpan.FromMilliseconds(100));   // answers, but too late
            }
            return RtuFrame.ReadReply(request[0], ModbusFunction.ReadInputRegisters, [(ushort)call]);
        });
        using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = 19200 });
        var master = new ModbusRtuMaster(line, Timeout, retries: 0);
        Assert.Equal(ModbusFaultKind.Timeout, Assert.Throws<ModbusFault>(() => master.ReadRegisters(1, ModbusFunction.ReadInputRegisters, 0, 1)).Kind);
        Thread.Sleep(TimeSpan.FromMilliseconds(400));   // the next poll cycle: the late reply is waiting on the line by now
        Assert.Equal([2], master.ReadRegisters(1, ModbusFunction.ReadInputRegisters, 0, 1));
    }

    [Fact]
    public void A_value_a_map_makes_impossible_is_not_published()
    {
        using var pair = SerialPairs.Start("range");
        using var far = new ScriptedSlave(new SerialSettings { Port = pair.A, Baud = 19200 }, request =>
            RtuFrame.ReadReply(request[0], ModbusFunction.ReadInputRegisters, [0xFFFF, 0x0064]));
        using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = 19200 });
        var health = new SlaveHealth();
        var log = new ListLogger();
        var map = new RegisterMap
        {
            Registers =
            [
                new() { Metric = "basin_level_m", Address = 0, Scale = 1 },   // 65,535 m: a scale error
                new() { Metric = "rain_mm_per_h", Address = 1, Scale = 0.1 },
            ],
        };
        var result = new SlavePoll(new SlaveConfig { Id = 1, Model = "m", Site = "s", Device = "d" }, map, health, log)
            .Poll(new ModbusRtuMaster(line, Timeout, 0), DateTimeOffset.UtcNow);
        Assert.False(result.Numbers.ContainsKey("basin_level_m"));
        Assert.Equal(10.0, result.Numbers["rain_mm_per_h"], 9);
        Assert.Equal(1, health.RejectedValues);
        Assert.Contains(log.Lines, l => l.Contains("basin_level_m decoded to 65535") && l.Contains("FFFF"));
    }

    private static byte[] Reframed(byte[] frame, byte slave)
    {
        var copy = (byte[])frame.Clone();
        copy[0] = slave;
        ModbusCrc.Append(copy);
        return copy;
    }
}
