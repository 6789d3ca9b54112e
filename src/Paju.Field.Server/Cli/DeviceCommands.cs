using System.CommandLine;
using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Devices;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju device add|rotate|disable|list</c> and <c>paju broker config</c>.</summary>
public static class DeviceCommands
{
    public static Command Create()
    {
        var device = new Command("device", "MQTT 장치와 수집 계정: 등록, 비밀번호 교체, 사용 중지");

        var id = new Argument<string>("DEVICE") { Description = "장치 ID = MQTT 사용자 이름 = 클라이언트 ID (예: ulgok-ps1-plc)" };
        var site = new Option<string>("--site") { Description = "사이트 (예: ulgok-ps1). 장치는 paju/v1/{사이트}/{장치}/… 에만 발행합니다", Required = true };
        var asset = new Option<string>("--asset") { Description = "측정 대상 자산 코드 (예: ULGOK-PS1, ULGOK-RB1)" };
        var role = new Option<string>("--role") { Description = "device (기본) 또는 ingest (paju ingest 작업자 계정)", DefaultValueFactory = _ => DeviceStore.DeviceRole };
        role.AcceptOnlyFromAmong(DeviceStore.DeviceRole, DeviceStore.IngestRole);
        var description = new Option<string>("--description") { Description = "설명" };
        var add = new Command("add", "장치를 등록하고 비밀번호를 한 번 보여 줍니다 (저장은 해시만)").WithDatabaseOptions();
        add.Arguments.Add(id);
        add.Options.Add(site);
        add.Options.Add(asset);
        add.Options.Add(role);
        add.Options.Add(description);
        add.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var (created, secret) = await cli.InTransactionAsync(ct, (conn, tx) => DeviceStore.AddAsync(conn, tx, parse.GetValue(id)!,
                parse.GetValue(site)!, parse.GetValue(role)!, parse.GetValue(asset), parse.GetValue(description), Actor.CommandLine(), ct));
            Console.Error.WriteLine($"장치 '{created.DeviceId}' ({created.Role}, 사이트 {created.Site}{(created.AssetCode is null ? "" : $", 자산 {created.AssetCode}")}) 를 등록했습니다.");
            Console.Error.WriteLine("MQTT 비밀번호 (다시 보여 주지 않습니다):");
            Console.WriteLine(secret);
            return 0;
        }));

        var rotateId = new Argument<string>("DEVICE") { Description = "장치 ID" };
        var rotate = new Command("rotate", "장치 비밀번호를 새로 만듭니다 (이전 비밀번호는 바로 무효)").WithDatabaseOptions();
        rotate.Arguments.Add(rotateId);
        rotate.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var secret = await cli.InTransactionAsync(ct, (conn, tx) => DeviceStore.RotateAsync(conn, tx, parse.GetValue(rotateId)!, Actor.CommandLine(), ct));
            Console.Error.WriteLine("새 MQTT 비밀번호 (외부 브로커는 paju broker config 후 다시 읽게 하세요):");
            Console.WriteLine(secret);
            return 0;
        }));

        var disableId = new Argument<string>("DEVICE") { Description = "장치 ID" };
        var disable = new Command("disable", "장치를 사용 중지합니다 (기록은 남고 접속은 거부)").WithDatabaseOptions();
        disable.Arguments.Add(disableId);
        disable.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await cli.InTransactionAsync(ct, async (conn, tx) =>
            {
                await DeviceStore.DisableAsync(conn, tx, parse.GetValue(disableId)!, Actor.CommandLine(), ct);
                return true;
            });
            Console.WriteLine($"장치 '{parse.GetValue(disableId)}' 를 사용 중지했습니다.");
            return 0;
        }));

        var unlockId = new Argument<string>("DEVICE") { Description = "장치 ID" };
        var unlock = new Command("unlock", "잘못된 비밀번호로 여러 번 접속해 잠긴 장치를 바로 풉니다").WithDatabaseOptions();
        unlock.Arguments.Add(unlockId);
        unlock.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var id = parse.GetValue(unlockId)!;
            var lifted = await cli.WithDatabaseAsync(ct, db => Accounts.SignInThrottle.LiftAsync(db, Accounts.SignInThrottle.Device, id, ct));
            Console.WriteLine(lifted ? $"장치 '{id}' 의 접속 제한을 풀었습니다." : $"장치 '{id}' 에는 접속 제한이 없습니다.");
            return 0;
        }));

        var list = new Command("list", "장치 목록").WithDatabaseOptions();
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            foreach (var d in await cli.WithDatabaseAsync(ct, db => ListDevicesAsync(db, ct)))
            {
                Console.WriteLine($"{d.DeviceId,-24} {d.Role,-7} {d.Site,-16} {d.AssetCode,-16} {(d.Disabled ? "사용 중지" : d.Online ? "온라인" : "오프라인")}");
            }
            return 0;
        }));

        device.Subcommands.Add(add);
        device.Subcommands.Add(rotate);
        device.Subcommands.Add(disable);
        device.Subcommands.Add(unlock);
        device.Subcommands.Add(list);
        return device;
    }

    public static Command Broker()
    {
        var broker = new Command("broker", "외부 MQTT 브로커 (mosquitto) 설정");
        var output = new Option<string>("--out") { Description = "설정 파일을 쓸 폴더 (passwords, acl, mosquitto.conf)", Required = true };
        var port = new Option<int>("--port") { Description = "mosquitto.conf 의 포트", DefaultValueFactory = _ => 1883 };
        var config = new Command("config", "mosquitto 의 비밀번호 파일($7$)과 ACL 을 장치 목록에서 만듭니다").WithDatabaseOptions();
        config.Options.Add(output);
        config.Options.Add(port);
        config.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var devices = await cli.WithDatabaseAsync(ct, db => ListDevicesAsync(db, ct));
            var dir = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(dir);
            await WriteSecretFileAsync(Path.Combine(dir, "passwords"), BrokerConfig.PasswordFile(devices), ct);
            await WriteSecretFileAsync(Path.Combine(dir, "acl"), BrokerConfig.AclFile(devices), ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "mosquitto.conf"), BrokerConfig.MosquittoConf(dir, parse.GetValue(port), persistence: true), ct);
            Console.WriteLine($"{devices.Count(d => !d.Disabled)}개 계정의 설정을 {dir} 에 썼습니다 (passwords, acl, mosquitto.conf).");
            Console.WriteLine("mosquitto 가 실행 중이면 다시 읽게 하세요: kill -HUP $(pidof mosquitto)");
            return 0;
        }));
        broker.Subcommands.Add(config);
        return broker;
    }

    private static async Task<IReadOnlyList<Device>> ListDevicesAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await DeviceStore.ListAsync(conn, ct);
    }

    private static async Task WriteSecretFileAsync(string path, string text, CancellationToken ct)
    {
        await File.WriteAllTextAsync(path, text, ct);
        // mosquitto (running as its own user) must read it; nobody else needs to.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}
