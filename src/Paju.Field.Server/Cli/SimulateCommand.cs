using System.CommandLine;
using Paju.Field.Server.Database;
using Paju.Field.Server.Hosting;
using Paju.Field.Server.Ingest;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;

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

    public static readonly Option<string> Modbus = new("--modbus")
    {
        Description = "MQTT 대신 Modbus RTU 슬레이브로 제어반을 흉내냅니다: 직렬 포트(pty) 경로, 두 개면 쉼표로 (1호 slave 1, 2호 slave 2). 데이터베이스가 필요 없습니다",
        HelpName = "PTY[,PTY2]",
    };

    public static readonly Option<int> Baud = new("--baud") { Description = "--modbus 회선의 통신 속도 (응답이 이 속도의 전송 시간을 지킵니다)", DefaultValueFactory = _ => 19200 };

    static SimulateCommand() => Scenario.AcceptOnlyFromAmong([.. RainScenario.All.Select(s => s.Name)]);

    public static Command Create()
    {
        var command = new Command("simulate", "울곡 배수펌프장 두 곳을 장치로 시뮬레이션해 MQTT 로 발행합니다 (장치 등록·경보 규칙 포함)").WithDatabaseOptions();
        command.Options.Add(CommonOptions.Mqtt);
        command.Options.Add(Scenario);
        command.Options.Add(Speed);
        command.Options.Add(Seed);
        command.Options.Add(Modbus);
        command.Options.Add(Baud);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            if (parse.GetValue(Modbus) is { } ports)
            {
                var plant = new UlgokPlant(RainScenario.Find(parse.GetValue(Scenario)!) ?? RainScenario.Calm, parse.GetValue(Seed));
                var lines = ports.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => new SerialSettings { Port = p, Baud = parse.GetValue(Baud) }).ToList();
                await new ModbusStationSimulator(plant, lines, cli.Log("Paju.Simulator")) { Speed = parse.GetValue(Speed) }.RunAsync(ct);
                return 0;
            }
            await using var session = await cli.OpenDatabaseAsync(ct);
            await using var db = DatabaseSession.CreateDataSource(session.ConnectionString);
            var mqtt = cli.Configuration.ReadPajuOptions<MqttOptions>();
            await DemoDevices.PublishOverMqttAsync(db, mqtt, parse.GetValue(Scenario)!, parse.GetValue(Speed), parse.GetValue(Seed), cli.Log("Paju.Simulator"), ct);
            return 0;
        }));
        return command;
    }
}
