namespace Paju.Field.Server.Simulation;

/// <summary>One pump: it starts when the level reaches StartLevel and stops below StopLevel (the gap is its hysteresis).</summary>
public sealed class Pump(int number, double capacityM3PerHour, double startLevelM, double stopLevelM, double ratedCurrentA)
{
    public int Number { get; } = number;
    public double CapacityM3PerHour { get; } = capacityM3PerHour;
    public double StartLevelM { get; } = startLevelM;
    public double StopLevelM { get; } = stopLevelM;
    public double RatedCurrentA { get; } = ratedCurrentA;
    public bool Running { get; set; }
    public bool Fault { get; set; }
    public double RunHours { get; set; }
    public long Starts { get; set; }
}

/// <summary>
/// One station and its store (basin or tank): rain on the catchment flows in, the stage–storage curve
/// turns the stored volume into a level, and pumps start and stop by level. Deterministic from its seed.
/// </summary>
public sealed class Station(string site, string device, double catchmentM2, double runoff, double baseInflowM3PerHour,
    double capacityM3, double topLevelM, double floorAreaM2, IReadOnlyList<Pump> pumps, int seed)
{
    private readonly Random _noise = new(seed);

    public string Site { get; } = site;
    public string Device { get; } = device;
    public IReadOnlyList<Pump> Pumps { get; } = pumps;
    public double VolumeM3 { get; private set; }
    public double InflowM3PerHour { get; private set; }
    public double OutflowM3PerHour { get; private set; }
    public double RainMmPerHour { get; private set; }

    /// <summary>V(h) = a·h + b·h² with V(top) = capacity: a floor of floorArea with sloped sides (as the seeded curve).</summary>
    public double LevelM
    {
        get
        {
            var a = floorAreaM2;
            var b = (capacityM3 - a * topLevelM) / (topLevelM * topLevelM);
            return b <= 1e-9 ? VolumeM3 / a : (-a + Math.Sqrt(a * a + 4 * b * VolumeM3)) / (2 * b);
        }
    }

    public void Step(TimeSpan dt, double rainMmPerHour)
    {
        RainMmPerHour = rainMmPerHour;
        InflowM3PerHour = baseInflowM3PerHour + rainMmPerHour / 1000 * catchmentM2 * runoff;
        var level = LevelM;
        foreach (var pump in Pumps)
        {
            if (pump.Fault)
            {
                pump.Running = false;
                continue;
            }
            if (!pump.Running && level >= pump.StartLevelM)
            {
                pump.Running = true;
                pump.Starts++;
            }
            else if (pump.Running && level <= pump.StopLevelM)
            {
                pump.Running = false;
            }
            if (pump.Running)
            {
                pump.RunHours += dt.TotalHours;
            }
        }
        OutflowM3PerHour = Pumps.Where(p => p.Running).Sum(p => p.CapacityM3PerHour);
        VolumeM3 = Math.Clamp(VolumeM3 + (InflowM3PerHour - OutflowM3PerHour) * dt.TotalHours, 0, capacityM3);
        if (VolumeM3 <= 0)
        {
            OutflowM3PerHour = Math.Min(OutflowM3PerHour, InflowM3PerHour);
        }
    }

    /// <summary>The controller's readings, in the contract's SI names.</summary>
    public (Dictionary<string, double> Numbers, Dictionary<string, bool> Flags) Readings(string store)
    {
        var numbers = new Dictionary<string, double>
        {
            [$"{store}_level_m"] = Math.Round(LevelM + (_noise.NextDouble() - 0.5) * 0.004, 3),
            [$"{store}_volume_m3"] = Math.Round(VolumeM3, 1),
            [$"{store}_fill_percent"] = Math.Round(100 * VolumeM3 / capacityM3, 2),
            ["inflow_m3_per_h"] = Math.Round(InflowM3PerHour, 1),
            ["outflow_m3_per_h"] = Math.Round(OutflowM3PerHour, 1),
            ["rain_mm_per_h"] = Math.Round(RainMmPerHour, 1),
        };
        var flags = new Dictionary<string, bool>();
        foreach (var p in Pumps)
        {
            numbers[$"pump{p.Number}_current_a"] = p.Running ? Math.Round(p.RatedCurrentA * (0.95 + _noise.NextDouble() * 0.1), 1) : 0;
            numbers[$"pump{p.Number}_run_h"] = Math.Round(p.RunHours, 3);
            numbers[$"pump{p.Number}_starts_count"] = p.Starts;
            flags[$"pump{p.Number}_running"] = p.Running;
            flags[$"pump{p.Number}_fault"] = p.Fault;
        }
        return (numbers, flags);
    }
}

/// <summary>
/// Both Ulgok stations as one plant (domain facts: 4 pumps D1,650 mm on the 264,157 m³ retention basin;
/// 2 pumps D700 mm on the 306 m³ storage tank). Flows and set points are plausible, not surveyed.
/// </summary>
public sealed class UlgokPlant
{
    public UlgokPlant(RainScenario scenario, int seed)
    {
        Scenario = scenario;
        Main = new Station("ulgok-ps1", "ulgok-ps1-plc", catchmentM2: 3_000_000, runoff: 0.6, baseInflowM3PerHour: 500,
            capacityM3: 264_157, topLevelM: 6, floorAreaM2: 40_000,
            pumps:
            [
                new Pump(1, 12_600, 2.0, 1.2, 115), new Pump(2, 12_600, 2.6, 1.6, 115),
                new Pump(3, 12_600, 3.2, 2.2, 115), new Pump(4, 12_600, 3.8, 2.8, 115),
            ], seed);
        Simple = new Station("ulgok-ps2", "ulgok-ps2-plc", catchmentM2: 60_000, runoff: 0.7, baseInflowM3PerHour: 5,
            capacityM3: 306, topLevelM: 3, floorAreaM2: 102,
            pumps: [new Pump(1, 1_400, 1.6, 0.6, 22), new Pump(2, 1_400, 2.2, 1.0, 22)], seed + 1);
    }

    public RainScenario Scenario { get; }
    public Station Main { get; }
    public Station Simple { get; }
    public TimeSpan Elapsed { get; private set; }

    public bool SimpleLinkDown => Scenario.CommsLoss is { } loss && Elapsed >= loss.From && Elapsed < loss.To;

    public void Step(TimeSpan dt)
    {
        Elapsed += dt;
        if (Scenario.PumpFaultAt is { } faultAt && Elapsed >= faultAt)
        {
            Main.Pumps[1].Fault = true;
        }
        var rain = Scenario.RainMmPerHour(Elapsed);
        Main.Step(dt, rain);
        Simple.Step(dt, rain);
    }
}
