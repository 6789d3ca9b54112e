using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Paju.Field.Bridge;
using Paju.Field.Bridge.Config;

var root = new RootCommand("""
    파주 현장안전 게이트웨이 (paju-bridge) — 배수펌프장 제어반의 Modbus RTU 를 읽어 MQTT 로 보냅니다.

    paju-bridge validate CONFIG   설정 파일의 문제를 모두 보여 줍니다
    paju-bridge run CONFIG        폴링과 전송을 시작합니다 (systemd 서비스로 실행)
    paju-bridge status CONFIG     실행 중인 게이트웨이의 마지막 폴링, 오류, 대기열을 보여 줍니다
    v1 은 제어반에 아무것도 쓰지 않습니다 (읽기 전용).
    """);

var configArgument = new Argument<FileInfo>("CONFIG") { Description = "the gateway's configuration (JSON with comments), e.g. /etc/paju-bridge/bridge.json" };

var validate = new Command("validate", "Check a configuration and list every problem (exit 0: usable, 1: errors)");
validate.Arguments.Add(configArgument);
validate.SetAction(parse => Commands.Validate(parse.GetValue(configArgument)!));
root.Subcommands.Add(validate);

var run = new Command("run", "Poll the controllers and publish their readings until stopped (SIGTERM)");
run.Arguments.Add(configArgument);
run.SetAction(async (parse, ct) =>
{
    var file = parse.GetValue(configArgument)!;
    BridgeConfig config;
    try
    {
        config = BridgeConfig.Load(file.FullName);
    }
    catch (Exception e) when (e is ConfigException or IOException)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }
    if (Commands.Validate(file) != 0)
    {
        return 2;
    }
    var builder = Host.CreateApplicationBuilder();
    builder.Services.AddSystemd();
    builder.Services.AddSingleton(config);
    builder.Services.AddHostedService<BridgeService>();
    builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
    await builder.Build().RunAsync(ct);
    return Environment.ExitCode;
});
root.Subcommands.Add(run);

var status = new Command("status", "Show the running bridge's last polls, errors and queue depth (exit 0: all answering, 1: a device is not, 2: no fresh status)");
status.Arguments.Add(configArgument);
status.SetAction(parse => Commands.Status(parse.GetValue(configArgument)!));
root.Subcommands.Add(status);

// On SIGTERM the bridge lets each serial line finish its transaction (up to 5 s), stops its publishers, closes its
// queues and writes its last status. System.CommandLine's default of 2 s before it ends the process with 143 can cut
// that short, and systemd counts 143 as a failed stop.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
return await root.Parse(args).InvokeAsync(invocation);
