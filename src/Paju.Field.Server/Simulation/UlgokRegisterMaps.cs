using Paju.Field.Modbus;

namespace Paju.Field.Server.Simulation;

/// <summary>
/// The register maps of the two Ulgok station controllers, as the station simulator serves them and
/// as firmware-bridge/config/ulgok.sample.json describes them to the bridge (a test holds the two
/// equal). Input registers carry measurements; holding registers the pumps' start/stop levels.
/// The layout mixes encodings on purpose, as real controllers do: scaled integers, 32-bit values in
/// both word orders, IEEE floats and a status bit field per pump.
/// </summary>
public static class UlgokRegisterMaps
{
    public const string MainModel = "ulgok-main-plc";
    public const string TankModel = "ulgok-tank-plc";

    public static RegisterMap Main { get; } = Build("basin", 4, "울곡 1 배수펌프장 (유수지, 펌프 4대) 제어반");

    public static RegisterMap Tank { get; } = Build("tank", 2, "울곡 2 배수펌프장 (저류조, 펌프 2대) 제어반");

    public static RegisterMap For(Station station) => station.Pumps.Count == 4 ? Main : Tank;

    /// <summary>First input register of pump <paramref name="number"/>'s block of ten.</summary>
    public static ushort PumpBase(int number) => (ushort)(10 * number);

    private static RegisterMap Build(string store, int pumps, string description)
    {
        const byte input = (byte)ModbusFunction.ReadInputRegisters;
        const byte holding = (byte)ModbusFunction.ReadHoldingRegisters;
        var points = new List<RegisterPoint>
        {
            new() { Metric = $"{store}_level_m", Function = input, Address = 0, Type = RegisterType.U16, Scale = 0.001, Unit = "m" },
            new() { Metric = $"{store}_volume_m3", Function = input, Address = 1, Type = RegisterType.U32, Scale = 0.1, Unit = "m3" },
            new() { Metric = $"{store}_fill_percent", Function = input, Address = 3, Type = RegisterType.U16, Scale = 0.01, Unit = "%" },
            new() { Metric = "inflow_m3_per_h", Function = input, Address = 4, Type = RegisterType.F32, Unit = "m3/h" },
            new() { Metric = "outflow_m3_per_h", Function = input, Address = 6, Type = RegisterType.F32, WordOrder = WordOrder.LowFirst, Unit = "m3/h" },
            new() { Metric = "rain_mm_per_h", Function = input, Address = 8, Type = RegisterType.U16, Scale = 0.1, Unit = "mm/h" },
        };
        for (var p = 1; p <= pumps; p++)
        {
            var b = PumpBase(p);
            points.Add(new() { Metric = $"pump{p}_running", Function = input, Address = b, Bit = 0 });
            points.Add(new() { Metric = $"pump{p}_fault", Function = input, Address = b, Bit = 1 });
            points.Add(new() { Metric = $"pump{p}_current_a", Function = input, Address = (ushort)(b + 1), Type = RegisterType.U16, Scale = 0.1, Unit = "A" });
            points.Add(new() { Metric = $"pump{p}_run_h", Function = input, Address = (ushort)(b + 2), Type = RegisterType.U32, WordOrder = WordOrder.LowFirst, Scale = 0.001, Unit = "h" });
            points.Add(new() { Metric = $"pump{p}_starts_count", Function = input, Address = (ushort)(b + 4), Type = RegisterType.U32 });
            points.Add(new() { Metric = $"pump{p}_start_level_m", Function = holding, Address = (ushort)(2 * (p - 1)), Type = RegisterType.I16, Scale = 0.001, Unit = "m" });
            points.Add(new() { Metric = $"pump{p}_stop_level_m", Function = holding, Address = (ushort)(2 * (p - 1) + 1), Type = RegisterType.I16, Scale = 0.001, Unit = "m" });
        }
        return new RegisterMap { Description = description, Registers = points };
    }

    /// <summary>Writes a station's current state into its controller's registers through its map.</summary>
    public static void Publish(Station station, string store, RegisterBank bank)
    {
        var map = For(station);
        var (numbers, flags) = station.Readings(store);
        foreach (var pump in station.Pumps)
        {
            numbers[$"pump{pump.Number}_start_level_m"] = pump.StartLevelM;
            numbers[$"pump{pump.Number}_stop_level_m"] = pump.StopLevelM;
        }
        bank.Update((holding, input) =>
        {
            foreach (var point in map.Registers)
            {
                var registers = point.Function == (byte)ModbusFunction.ReadInputRegisters ? input : holding;
                var slot = registers.Slice(point.Address, point.Width);
                if (point.IsFlag)
                {
                    var mask = (ushort)(1 << point.Bit!.Value);
                    slot[0] = flags[point.Metric] ? (ushort)(slot[0] | mask) : (ushort)(slot[0] & ~mask);
                }
                else
                {
                    RegisterCodec.Encode((numbers[point.Metric] - point.Offset) / point.Scale, point.Type, point.WordOrder, slot);
                }
            }
        });
    }
}
