using System.CommandLine;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju ingest</c>: a telemetry worker on an external broker's shared subscription (scale-out mode).</summary>
public static class IngestCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "외부 MQTT 브로커 HOST:PORT (Paju__Mqtt__Endpoint)", HelpName = "HOST:PORT" };
        var user = new Option<string>("--user") { Description = "수집 계정 (paju device add … --role ingest) (Paju__Mqtt__Username)" };
        var password = new Option<string>("--password") { Description = "수집 계정 비밀번호 (Paju__Mqtt__Password 권장)" };
        var subscription = new Option<string>("--subscription")
        {
            Description = "shared (작업자 여럿이 나눔, 기본) 또는 exclusive (작업자 하나, mosquitto 재시작에도 유실 없음) (Paju__Mqtt__Subscription)",
        };
        subscription.AcceptOnlyFromAmong("shared", "exclusive");
        var clientId = new Option<string>("--client-id") { Description = "이 작업자의 고정 클라이언트 ID: 재시작해도 같은 세션을 이어받습니다", DefaultValueFactory = _ => $"paju-ingest-{Environment.MachineName.ToLowerInvariant()}" };
        var command = new Command("ingest", """
            외부 브로커(mosquitto, EMQX)의 MQTT 5 공유 구독으로 원격 측정을 저장하는 작업자입니다.
            여러 개를 띄우면 부하를 나눕니다. 각 작업자는 서로 다른 --client-id 를 씁니다.
            """).WithDatabaseOptions();
        command.Options.Add(broker);
        command.Options.Add(user);
        command.Options.Add(password);
        command.Options.Add(clientId);
        command.Options.Add(subscription);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            // The flags are configuration keys like any other: one binding, one check.
            var flags = new Dictionary<string, string?>();
            void Flag(Option<string> option, string key)
            {
                if (parse.GetValue(option) is { } value)
                {
                    flags[$"{MqttOptions.Section}:{key}"] = value;
                }
            }
            Flag(broker, nameof(MqttOptions.Endpoint));
            Flag(user, nameof(MqttOptions.Username));
            Flag(password, nameof(MqttOptions.Password));
            Flag(subscription, nameof(MqttOptions.Subscription));
            var configuration = new ConfigurationBuilder().AddConfiguration(cli.Configuration).AddInMemoryCollection(flags).Build();
            var mqtt = configuration.ReadPajuOptions<MqttOptions>();
            if (string.IsNullOrEmpty(mqtt.Username) || string.IsNullOrEmpty(mqtt.Password))
            {
                throw new PajuSetupException("The ingest worker needs broker credentials: --user and Paju__Mqtt__Password (an account made with paju device add NAME --site server --role ingest).");
            }
            await using var session = await cli.OpenDatabaseAsync(ct);

            var builder = Host.CreateApplicationBuilder();
            builder.Configuration.AddConfiguration(configuration);
            ConsoleLogging.Configure(builder.Logging, cli.Options.LogFormat);
            builder.Services.AddSingleton(DatabaseSession.CreateDataSource(session.ConnectionString));
            builder.Services.AddIngestPipeline(configuration);
            var id = parse.GetValue(clientId)!;
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<BrokerSubscriptionIngest>(sp, id));
            using var host = builder.Build();
            await host.RunAsync(ct);
            return 0;
        }));
        return command;
    }
}
