using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Bridge;
using Paju.Field.Bridge.Config;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Ingest;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// Simulated controllers on serial lines → the bridge → the embedded broker → ingest → PostGIS, with
/// the sample register maps, the devices' own credentials, health on the state channel and the
/// status the `paju-bridge status` command reads.
/// </summary>
public sealed class BridgeEndToEndTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    [Fact]
    public async Task Readings_cross_the_serial_lines_and_reach_postgis_through_the_bridge()
    {
        using var ps1 = SerialPairs.Start("ps1");
        using var ps2 = SerialPairs.Start("ps2");
        var plant = new UlgokPlant(RainScenario.Typhoon, seed: 5);
        var simulator = new ModbusStationSimulator(plant, [new SerialSettings { Port = ps1.A, Baud = 19200 }, new SerialSettings { Port = ps2.A, Baud = 19200 }], new ListLogger())
        {
            Speed = 120,
        };
        var statusFile = Path.Combine(TempDirectory.Create("paju-bridge-status-"), "status.json");
        var secrets = new Dictionary<string, string> { [EmbeddedBrokerFixture.Device] = mqtt.Secret, [EmbeddedBrokerFixture.OtherDevice] = mqtt.OtherSecret };
        var config = DemoBridge.Config($"127.0.0.1:{mqtt.Port}", ps1.B, ps2.B, 19200, secrets, statusFile);
        using var stop = new CancellationTokenSource();
        var running = Task.WhenAll(simulator.RunAsync(stop.Token), new BridgeRuntime(config, NullLoggerFactory.Instance).RunAsync(stop.Token));
        try
        {
            await WaitForAsync(async () => await mqtt.Db.ScalarAsync<long>("""
                SELECT count(*) FROM latest_metric l JOIN device d ON d.id = l.device
                WHERE (d.device_id, l.metric) IN (('ulgok-ps1-plc', 'basin_level_m'), ('ulgok-ps1-plc', 'pump4_running'), ('ulgok-ps1-plc', 'comms_online'),
                                                  ('ulgok-ps2-plc', 'tank_level_m'), ('ulgok-ps2-plc', 'pump2_stop_level_m'), ('ulgok-ps2-plc', 'comms_online'))
                """) == 6, running);

            // Set points travel as holding registers (i16, mm) and arrive exact.
            Assert.Equal(2.0, await Metric("ulgok-ps1-plc", "pump1_start_level_m"));
            Assert.Equal(2.8, await Metric("ulgok-ps1-plc", "pump4_stop_level_m"));
            Assert.Equal(1.0, await Metric("ulgok-ps2-plc", "pump2_stop_level_m"));
            Assert.Equal(1.0, await Metric("ulgok-ps1-plc", "comms_online"));

            // Volume (u32, ×0.1) and fill (u16, ×0.01) come from one block read: they agree within the registers' resolution.
            var coherent = await mqtt.Db.ScalarAsync<long>("""
                SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device
                WHERE d.device_id = 'ulgok-ps1-plc' AND t.metrics ? 'basin_volume_m3'
                  AND abs((t.metrics ->> 'basin_fill_percent')::float8 - 100 * (t.metrics ->> 'basin_volume_m3')::float8 / 264157) > 0.011
                """);
            Assert.Equal(0L, coherent);
            Assert.Equal(0L, await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter WHERE client_id LIKE 'ulgok-%'"));

            // The status file the running bridge keeps, read by the real command.
            var configFile = Path.Combine(Path.GetDirectoryName(statusFile)!, "bridge.json");
            await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config, BridgeConfig.Json));
            await WaitForAsync(() => Task.FromResult(File.Exists(statusFile) && BridgeStatus.Read(statusFile).Devices.All(d => d.Online && d.Uplinks[0].Published > 0)), running);
            var status = await BridgeCli.RunAsync("status", configFile);
            Assert.True(status.ExitCode == 0, status.StandardOutput + status.StandardError);
            Assert.Contains("ulgok-ps1-plc (slave 1, ulgok-ps1): 응답", status.StandardOutput);
            Assert.Contains("MQTT 127.0.0.1:" + mqtt.Port + ": 연결됨, 대기열", status.StandardOutput);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    private async Task<double> Metric(string device, string metric) => await mqtt.Db.ScalarAsync<double>("""
        SELECT CASE jsonb_typeof(l.value) WHEN 'boolean' THEN (l.value::text::boolean)::int::float8 ELSE l.value::text::float8 END
        FROM latest_metric l JOIN device d ON d.id = l.device WHERE d.device_id = $1 AND l.metric = $2
        """, device, metric);

    /// <summary>Waits up to two minutes, failing at once if the bridge or simulator stopped.</summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition, Task running)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            if (running.IsCompleted)
            {
                await running;
                Assert.Fail("the bridge stopped");
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the bridge's readings");
            await Task.Delay(200);
        }
    }
}
