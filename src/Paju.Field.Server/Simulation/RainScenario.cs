namespace Paju.Field.Server.Simulation;

/// <summary>Rainfall over simulated time: the input of the plant model.</summary>
public sealed record RainScenario(string Name, string Title, Func<TimeSpan, double> RainMmPerHour, TimeSpan? PumpFaultAt = null, (TimeSpan From, TimeSpan To)? CommsLoss = null)
{
    /// <summary>Dry weather with a light shower now and then.</summary>
    public static readonly RainScenario Calm = new("calm", "평상시", t => Math.Max(0, 2 * Math.Sin(t.TotalHours / 3)));

    /// <summary>
    /// A typhoon: rain rises over 2 h to 80 mm/h, holds for 2 h, eases over 3 h. Pump 2 of the main
    /// station faults at 2.5 h, and the simple station loses its link from 3 h to 3.5 h.
    /// </summary>
    public static readonly RainScenario Typhoon = new("typhoon", "태풍", t => t.TotalHours switch
    {
        < 0 => 0,
        < 2 => 80 * t.TotalHours / 2,
        < 4 => 80,
        < 7 => 80 * (7 - t.TotalHours) / 3,
        _ => 1,
    }, PumpFaultAt: TimeSpan.FromHours(2.5), CommsLoss: (TimeSpan.FromHours(3), TimeSpan.FromHours(3.5)));

    public static readonly IReadOnlyList<RainScenario> All = [Calm, Typhoon];

    public static RainScenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
