using Paju.Field.Modbus;
using Paju.Field.Server.Ingest;

namespace Paju.Field.Server.Simulation;

/// <summary>The Ulgok stations' simulated devices, as `paju demo` and `paju simulate` run them.</summary>
public static class DemoDevices
{
    /// <summary>Both stations as controllers publishing straight to the broker (no serial line, no bridge).</summary>
    public static async Task PublishOverMqttAsync(Npgsql.NpgsqlDataSource db, MqttOptions mqtt, string scenario, double speed, int seed, ILogger log, CancellationToken ct)
    {
        var plant = new UlgokPlant(RainScenario.Find(scenario) ?? RainScenario.Calm, seed);
        var secrets = await SimulatorSetup.EnsureAsync(db, plant, ct);
        var (host, port) = mqtt.HostAndPort();
        await new Simulator(plant, host, port, secrets, log) { Speed = speed }.RunAsync(ct);
    }

    /// <summary>
    /// The demo's path: the plant as Modbus RTU slaves on one end of two socat pty pairs, the edge
    /// bridge polling the other ends and publishing to the broker with the devices' credentials.
    /// </summary>
    public static async Task RunThroughSerialAsync(Npgsql.NpgsqlDataSource db, MqttOptions mqtt, string scenario, double speed, int seed,
        string dataDirectory, ILoggerFactory logging, CancellationToken ct)
    {
        var log = logging.CreateLogger("Paju.Simulator");
        var plant = new UlgokPlant(RainScenario.Find(scenario) ?? RainScenario.Calm, seed);
        var secrets = await SimulatorSetup.EnsureAsync(db, plant, ct);
        var serial = Path.Combine(dataDirectory, "serial");
        using var ps1 = SocatPtyPair.Start(Path.Combine(serial, "ulgok-ps1-plc"), Path.Combine(serial, "ulgok-ps1-bridge"));
        using var ps2 = SocatPtyPair.Start(Path.Combine(serial, "ulgok-ps2-plc"), Path.Combine(serial, "ulgok-ps2-bridge"));
        const int baud = 19200;
        var simulator = new ModbusStationSimulator(plant, [new SerialSettings { Port = ps1.A, Baud = baud }, new SerialSettings { Port = ps2.A, Baud = baud }], log)
        {
            Speed = speed,
        };
        var bridge = DemoBridge.Config(mqtt.Endpoint, ps1.B, ps2.B, baud, secrets, Path.Combine(dataDirectory, "bridge-status.json"));
        log.LogInformation("Demo telemetry crosses serial lines: controllers on {Ps1} and {Ps2}, bridge on {Bridge1} and {Bridge2} ({Baud} baud, 8E1)",
            ps1.A, ps2.A, ps1.B, ps2.B, baud);
        await Task.WhenAll(simulator.RunAsync(ct), new Paju.Field.Bridge.BridgeRuntime(bridge, logging).RunAsync(ct));
    }
}
