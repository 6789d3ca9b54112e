using System.CommandLine;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju ingest</c>: a telemetry worker on an external broker (scale-out mode): shared, exclusive or partitioned by site.</summary>
public static class IngestCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "외부 MQTT 브로커 HOST:PORT (Paju__Mqtt__Endpoint)", HelpName = "HOST:PORT" };
        var user = new Option<string>("--user") { Description = "수집 계정 (paju device add … --role ingest) (Paju__Mqtt__Username)" };
        var password = new Option<string>("--password") { Description = "수집 계정 비밀번호 (Paju__Mqtt__Password 권장)" };
        var subscription = new Option<string>("--subscription")
        {
            Description = "shared (공유 구독, 기본: EMQX·HiveMQ), exclusive (작업자 하나), partitioned (작업자 N개가 현장별로 나눔: mosquitto 하나로 확장, 재시작에도 유실 없음) (Paju__Mqtt__Subscription)",
        };
        subscription.AcceptOnlyFromAmong("shared", "exclusive", "partitioned");
        var partition = new Option<string>("--partition")
        {
            Description = "partitioned: 이 작업자가 맡는 몫 K/N (예: 1/2). 현장 ID의 고정 해시로 나눕니다 (Paju__Mqtt__Partition)",
            HelpName = "K/N",
        };
        var sites = new Option<string>("--sites")
        {
            Description = "partitioned: 이 작업자가 맡는 현장을 직접 지정 (쉼표로, --partition 대신)",
            HelpName = "SITE[,SITE…]",
        };
        var clientId = new Option<string>("--client-id") { Description = "이 작업자의 고정 클라이언트 ID: 재시작해도 같은 세션을 이어받습니다", DefaultValueFactory = _ => $"paju-ingest-{Environment.MachineName.ToLowerInvariant()}" };
        var command = new Command("ingest", """
            외부 브로커(mosquitto, EMQX)에서 원격 측정을 받아 저장하는 작업자입니다. 각 작업자는 서로 다른 --client-id 를 씁니다.
            mosquitto 한 대 앞에서 여럿을 띄우려면 partitioned 를 씁니다:
              paju ingest --subscription partitioned --partition 1/2 --client-id ingest-1 …
              paju ingest --subscription partitioned --partition 2/2 --client-id ingest-2 …
            """).WithDatabaseOptions();
        command.Options.Add(broker);
        command.Options.Add(user);
        command.Options.Add(password);
        command.Options.Add(clientId);
        command.Options.Add(subscription);
        command.Options.Add(partition);
        command.Options.Add(sites);
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
            Flag(partition, nameof(MqttOptions.Partition));
            if (parse.GetValue(sites) is { } declared)
            {
                var list = declared.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (var i = 0; i < list.Length; i++)
                {
                    flags[$"{MqttOptions.Section}:{nameof(MqttOptions.Sites)}:{i}"] = list[i];
                }
            }
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
            builder.Services.AddSingleton(_ => DatabaseSession.CreateDataSource(session.ConnectionString));
            builder.Services.AddIngestPipeline(configuration, AcknowledgementOrder.PerConnection);
            var id = parse.GetValue(clientId)!;
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<BrokerSubscriptionIngest>(sp, id));
            using var host = builder.Build();
            await host.RunAsync(ct);
            return 0;
        }));
        return command;
    }
}
