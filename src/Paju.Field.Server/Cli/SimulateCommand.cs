using System.CommandLine;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Simulation;
using Paju.Field.Stations;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju simulate</c>: the Ulgok stations as devices publishing over MQTT, for demos and drills.</summary>
public static class SimulateCommand
{
    public static readonly Option<string> Scenario = new("--scenario")
    {
        Description = "시뮬레이션 상황: calm (평상시, 기본) 또는 typhoon (태풍: 수 분 안에 실제 경보가 납니다)",
        DefaultValueFactory = _ => "calm",
    };

    public static readonly Option<double> Speed = new("--speed")
    {
        Description = "시뮬레이션 배속 (60 = 실제 1초에 1분)",
        DefaultValueFactory = _ => 60,
    };

    public static readonly Option<int> Seed = new("--seed") { Description = "난수 시드 (같은 시드는 같은 결과)", DefaultValueFactory = _ => 1 };

    static SimulateCommand() => Scenario.AcceptOnlyFromAmong([.. RainScenario.All.Select(s => s.Name)]);

    public static Command Create()
    {
        var command = new Command("simulate", "울곡 배수펌프장 두 곳을 장치로 시뮬레이션해 MQTT 로 발행합니다 (장치 등록·경보 규칙 포함)").WithDatabaseOptions();
        command.Options.Add(CommonOptions.Mqtt);
        command.Options.Add(Scenario);
        command.Options.Add(Speed);
        command.Options.Add(Seed);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await using var session = await cli.OpenDatabaseAsync(ct);
            await using var db = DatabaseSession.CreateDataSource(session.ConnectionString);
            var mqtt = cli.Configuration.GetSection(MqttOptions.Section).Get<MqttOptions>() ?? new MqttOptions();
            await RunAsync(db, mqtt, parse.GetValue(Scenario)!, parse.GetValue(Speed), parse.GetValue(Seed), cli.Log("Paju.Simulator"), ct);
            return 0;
        }));
        return command;
    }

    public static async Task RunAsync(Npgsql.NpgsqlDataSource db, MqttOptions mqtt, string scenario, double speed, int seed, ILogger log, CancellationToken ct)
    {
        var plant = new UlgokPlant(RainScenario.Find(scenario) ?? RainScenario.Calm, seed);
        var secrets = await SimulatorSetup.EnsureAsync(db, plant, ct);
        var (host, port) = mqtt.HostAndPort();
        await new Simulator(plant, host, port, secrets, log) { Speed = speed }.RunAsync(ct);
    }
}
