using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Modbus;
using Paju.Field.Modbus;
using Paju.Field.Telemetry;

namespace Paju.Field.Bridge.Polling;

/// <summary>What one poll of one slave gave: the values of every block that was read.</summary>
public sealed record PollResult(Dictionary<string, double> Numbers, Dictionary<string, bool> Flags, int BlocksFailed);

/// <summary>
/// Polls one slave: reads its map's blocks and decodes every point. A block that fails leaves its
/// points out (never a stale or guessed value); a decoded value outside its unit's physical range
/// (a wrong scale or word order in the map) is left out and counted, because the server would
/// refuse the whole reading for it.
/// </summary>
public sealed class SlavePoll(SlaveConfig slave, RegisterMap map, SlaveHealth health, ILogger log)
{
    private readonly IReadOnlyList<RegisterBlock> _blocks = map.Blocks();

    public SlaveConfig Slave => slave;

    public SlaveHealth Health => health;

    public PollResult Poll(ModbusRtuMaster master, DateTimeOffset now)
    {
        var numbers = new Dictionary<string, double>();
        var flags = new Dictionary<string, bool>();
        var failed = 0;
        foreach (var block in _blocks)
        {
            ushort[] registers;
            try
            {
                registers = master.ReadRegisters((byte)slave.Id, block.Function, block.Address, block.Count);
            }
            catch (ModbusFault fault)
            {
                failed++;
                health.Fault(fault, now);
                log.LogWarning("{Device} (slave {Slave}): reading {Count} registers at {Address} with function {Function:D2} failed: {Fault}",
                    slave.Device, slave.Id, block.Count, block.Address, (byte)block.Function, fault.Describe());
                continue;
            }
            foreach (var point in map.Registers.Where(block.Contains))
            {
                var slot = registers.AsSpan(point.Address - block.Address, point.Width);
                if (point.IsFlag)
                {
                    flags[point.Metric] = point.DecodeFlag(slot);
                    continue;
                }
                var value = point.Decode(slot);
                if (MetricUnits.NumericUnitOf(point.Metric) is { } unit && !unit.Accepts(value))
                {
                    var reason = $"{slave.Device}: {point.Metric} decoded to {value} {unit.Symbol}, outside {unit.Min}–{unit.Max}: registers [{string.Join(' ', slot.ToArray().Select(r => r.ToString("X4")))}] — check type, word order and scale";
                    health.Rejected(reason, now);
                    log.LogWarning("{Reason}", reason);
                    continue;
                }
                numbers[point.Metric] = Math.Round(value, 6);
            }
        }
        if (failed == 0)
        {
            health.PollSucceeded(now);
        }
        else
        {
            health.PollFailed();
        }
        return new PollResult(numbers, flags, failed);
    }
}
