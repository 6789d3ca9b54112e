using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;

namespace Paju.Field.Server.Simulation;

/// <summary>
/// The Ulgok plant behind its two controllers' Modbus RTU slaves: station 1 as slave 1, station 2 as
/// slave 2, each on its own serial line (or both on one), with the register maps of
/// <see cref="UlgokRegisterMaps"/>. The physics runs Speed times faster than the clock; replies keep
/// the line's wire time at its baud plus the controller's turnaround. During the scenario's comms
/// loss station 2 stops answering, as a cut cable would.
/// </summary>
public sealed class ModbusStationSimulator(UlgokPlant plant, IReadOnlyList<SerialSettings> lines, ILogger log)
{
    public const byte MainSlave = 1;
    public const byte TankSlave = 2;

    private static readonly TimeSpan MaxPhysicsStep = TimeSpan.FromSeconds(10);

    public double Speed { get; init; } = 60;

    public TimeSpan Turnaround { get; init; } = TimeSpan.FromMilliseconds(10);

    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    public RegisterBank MainBank { get; } = new();

    public RegisterBank TankBank { get; } = new();

    public async Task RunAsync(CancellationToken ct)
    {
        if (lines.Count is < 1 or > 2)
        {
            throw new ArgumentException($"the two stations go on one or two serial lines, not {lines.Count}", nameof(lines));
        }
        UlgokRegisterMaps.Publish(plant.Main, "basin", MainBank);
        UlgokRegisterMaps.Publish(plant.Simple, "tank", TankBank);
        var assignments = lines.Count == 1
            ? [(lines[0], new Dictionary<byte, RegisterBank> { [MainSlave] = MainBank, [TankSlave] = TankBank })]
            : new[] { (lines[0], new Dictionary<byte, RegisterBank> { [MainSlave] = MainBank }), (lines[1], new Dictionary<byte, RegisterBank> { [TankSlave] = TankBank }) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var slaves = new List<(RtuSlave Slave, SerialLine Line)>();
        var linkDown = false;
        var reported = new HashSet<RtuSlave>();
        var threads = new List<Thread>();
        try
        {
            foreach (var (settings, banks) in assignments)
            {
                var line = new SerialLine(settings);
                var slave = new RtuSlave(line, banks, Turnaround);
                slaves.Add((slave, line));
                var thread = new Thread(() => slave.Run(stop.Token)) { IsBackground = true, Name = $"modbus slave {settings.Port}" };
                thread.Start();
                threads.Add(thread);
                log.LogInformation("Ulgok controllers as Modbus RTU slaves {Slaves} on {Serial}", string.Join(", ", banks.Keys), settings);
            }
            using var timer = new PeriodicTimer(Interval);
            while (await timer.WaitForNextTickAsync(ct))
            {
                var advance = Interval * Speed;
                while (advance > TimeSpan.Zero)
                {
                    var dt = advance < MaxPhysicsStep ? advance : MaxPhysicsStep;
                    plant.Step(dt);
                    advance -= dt;
                }
                UlgokRegisterMaps.Publish(plant.Main, "basin", MainBank);
                UlgokRegisterMaps.Publish(plant.Simple, "tank", TankBank);
                if (linkDown != plant.SimpleLinkDown)
                {
                    linkDown = plant.SimpleLinkDown;
                    slaves.ForEach(s => s.Slave.SetSilent(TankSlave, linkDown));
                    log.LogInformation("Station 2's line is {State} (scenario)", linkDown ? "cut" : "back");
                }
                foreach (var (slave, _) in slaves.Where(s => s.Slave.Failure is not null && reported.Add(s.Slave)))
                {
                    log.LogError("A simulated controller's serial line failed and it stopped answering: {Reason}", slave.Failure!.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var thread in threads)
            {
                thread.Join(TimeSpan.FromSeconds(2));
            }
            foreach (var (_, line) in slaves)
            {
                line.Dispose();
            }
        }
    }
}
