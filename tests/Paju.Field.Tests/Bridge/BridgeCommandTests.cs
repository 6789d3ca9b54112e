using System.Diagnostics;
using Paju.Field.Bridge.Modbus;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>`paju-bridge validate` lists every problem at once, with where and why; `status` says when there is nothing to show.</summary>
public sealed class BridgeCommandTests
{
    [Fact]
    public async Task Validate_reports_every_problem_of_a_broken_configuration_at_once()
    {
        var dir = TempDirectory.Create("paju-bridge-validate-");
        var file = Path.Combine(dir, "broken.json");
        await File.WriteAllTextAsync(file, """
            // A configuration with a mistake on nearly every line.
            {
              "mqtt": { "endpoint": "mqtt.paju.local" },
              "statusFile": "/tmp/status.json",
              "queue": { "maxMegabytes": 0, "groupCommitMs": 0, "replayPerSecond": -1 },
              "iotHub": { "hostName": "paju field", "tokenLifetimeSeconds": 5,
                          "devices": { "ulgok-ps9-plc": { "key": "not base64!" }, "ulgok-ps1-plc": {} } },
              "lines": [
                {
                  "name": "a",
                  "serial": { "port": "/dev/ttyUSB0", "baud": 9600, "parity": "mark", "stopBits": 3 },
                  "pollIntervalMs": 50,
                  "slaves": [
                    { "id": 0, "model": "nope", "site": "Ulgok", "device": "ulgok-ps1-plc", "secret": "x" },
                    { "id": 5, "model": "plc", "site": "ulgok", "device": "ulgok-ps1-plc" }
                  ]
                }
              ],
              "models": {
                "plc": { "registers": [
                  { "metric": "level", "address": 0 },
                  { "metric": "pump1_running", "address": 1, "type": "u32", "bit": 3 },
                  { "metric": "basin_level_m", "address": 2, "unit": "cm" },
                  { "metric": "inflow_m3_per_h", "address": 2, "type": "f32", "function": 5 },
                  { "metric": "outflow_m3_per_h", "address": 2, "type": "f32" },
                  { "metric": "rain_mm_per_h", "address": 10, "scale": 0 }
                ] }
              }
            }
            """);
        var result = await BridgeCli.RunAsync("validate", file);
        Assert.Equal(1, result.ExitCode);
        string[] expected =
        [
            "mqtt.endpoint: 'mqtt.paju.local' is not HOST:PORT",
            "queue.maxMegabytes: 0 MB holds nothing",
            "queue.groupCommitMs: 0 ms is outside 1–10000",
            "queue.replayPerSecond: -1 is negative",
            "iotHub.hostName: 'paju field' is not a host name",
            "iotHub.tokenLifetimeSeconds: 5 s",
            "iotHub.devices.ulgok-ps9-plc: ulgok-ps9-plc is not a device of any line",
            "iotHub.devices.ulgok-ps9-plc.key: the key is not base64",
            "iotHub.devices.ulgok-ps1-plc: give exactly one of",
            "lines[0].serial.parity: Mark parity",
            "lines[0].serial.stopBits: 3",
            "lines[0].slaves[0].id: 0: slave ids are 1–247",
            "lines[0].slaves[0].model: 'nope' is not defined in models (defined: plc)",
            "lines[0].slaves[0].site: 'Ulgok' is not a site id",
            "lines[0].slaves[1].device: ulgok-ps1-plc is already used by lines[0].slaves[0]",
            "lines[0].slaves[1].secretFile: no credentials for ulgok-ps1-plc",
            "models.plc.registers[0].metric: level has no unit suffix",
            "models.plc.registers[1].type: a bit is taken from a u16 register",
            "models.plc.registers[2].unit: the map says cm but basin_level_m is in m",
            "models.plc.registers[3].function: 5",
            "models.plc.registers[4].address: register 2 (function 4) is already basin_level_m",
            "models.plc.registers[5].scale: scale 0",
            "lines[0].pollIntervalMs: one poll of every slave needs",
        ];
        Assert.All(expected, e => Assert.Contains(e, result.StandardError));
        Assert.Contains("오류 ", result.StandardOutput);
    }

    [Fact]
    public async Task Validate_accepts_the_sample_once_its_secret_files_exist_and_names_a_syntax_error_by_line()
    {
        var dir = TempDirectory.Create("paju-bridge-sample-");
        var sample = await File.ReadAllTextAsync(Path.Combine(SharedData.RepositoryRoot(), "firmware-bridge", "config", "ulgok.sample.json"));
        foreach (var device in new[] { "ulgok-ps1-plc", "ulgok-ps2-plc" })
        {
            await File.WriteAllTextAsync(Path.Combine(dir, $"{device}.secret"), "a-secret\n");
            sample = sample.Replace($"/etc/paju-bridge/secrets/{device}.secret", Path.Combine(dir, $"{device}.secret"));
        }
        var file = Path.Combine(dir, "ulgok.json");
        await File.WriteAllTextAsync(file, sample);
        var ok = await BridgeCli.RunAsync("validate", file);
        Assert.True(ok.ExitCode == 0, ok.StandardOutput + ok.StandardError);
        Assert.Contains("사용 가능 — 회선 2개, 제어반 2대, 모델 2개", ok.StandardOutput);

        // The commented IoT Hub block, uncommented, is valid too once its key files exist.
        var withHub = System.Text.RegularExpressions.Regex.Replace(sample, @"^  // (\s*(""iotHub""|""hostName""|""tokenLifetimeSeconds""|""devices""|""ulgok-ps\d-plc""|\}))", "  $1",
            System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.Contains("\n  \"iotHub\": {", withHub);
        foreach (var device in new[] { "ulgok-ps1-plc", "ulgok-ps2-plc" })
        {
            await File.WriteAllTextAsync(Path.Combine(dir, $"{device}.iothub-key"), Convert.ToBase64String(new byte[32]) + "\n");
            withHub = withHub.Replace($"/etc/paju-bridge/secrets/{device}.iothub-key", Path.Combine(dir, $"{device}.iothub-key"));
        }
        var hubFile = Path.Combine(dir, "ulgok-hub.json");
        await File.WriteAllTextAsync(hubFile, withHub);
        var hubOk = await BridgeCli.RunAsync("validate", hubFile);
        Assert.True(hubOk.ExitCode == 0, withHub + hubOk.StandardOutput + hubOk.StandardError);

        await File.WriteAllTextAsync(file, sample.Replace("\"retries\": 2,", "\"retries\": 2,,", StringComparison.Ordinal).Replace("\"tls\": false", "\"tls\": fals"));
        var broken = await BridgeCli.RunAsync("validate", file);
        Assert.Equal(1, broken.ExitCode);
        Assert.Matches(@"LineNumber: \d+", broken.StandardError);
    }

    [Fact]
    public async Task Status_without_a_running_bridge_says_so_and_exits_2()
    {
        var dir = TempDirectory.Create("paju-bridge-nostatus-");
        var file = Path.Combine(dir, "bridge.json");
        await File.WriteAllTextAsync(file, $$"""{ "statusFile": "{{Path.Combine(dir, "status.json")}}" }""");
        var result = await BridgeCli.RunAsync("status", file);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("상태를 읽을 수 없습니다", result.StandardError);
    }

    [Fact]
    public async Task Paju_simulate_modbus_serves_the_stations_on_a_pty_without_a_database()
    {
        using var pair = SerialPairs.Start("simulate-cli");
        var start = new ProcessStartInfo("dotnet", [PajuCli.Dll, "simulate", "--modbus", pair.A, "--baud", "19200", "--speed", "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var simulator = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        simulator.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        simulator.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        simulator.BeginOutputReadLine();
        simulator.BeginErrorReadLine();
        try
        {
            using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = 19200 });
            var master = new ModbusRtuMaster(line, TimeSpan.FromMilliseconds(500), retries: 0);
            ushort[]? setPoints = null;
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (setPoints is null)
            {
                Assert.False(simulator.HasExited, $"paju simulate exited: {output}");
                Assert.True(DateTime.UtcNow < deadline, $"no reply within a minute: {output}");
                try
                {
                    setPoints = master.ReadRegisters(1, ModbusFunction.ReadHoldingRegisters, 0, 8);
                }
                catch (ModbusFault fault) when (fault.Kind == ModbusFaultKind.Timeout)
                {
                    await Task.Delay(200);   // still starting
                }
            }
            var plant = new UlgokPlant(RainScenario.Calm, 1);
            Assert.Equal(plant.Main.Pumps.SelectMany(p => new[] { p.StartLevelM, p.StopLevelM }).Select(m => (ushort)Math.Round(m * 1000)), setPoints);
            Assert.Equal(4, master.ReadRegisters(2, ModbusFunction.ReadHoldingRegisters, 0, 4).Length);
        }
        finally
        {
            simulator.Kill(entireProcessTree: true);
            await simulator.WaitForExitAsync();
        }
    }
}
