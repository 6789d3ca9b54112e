using System.CommandLine;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Hosting;
using Paju.Field.Server.Seeding;
using Paju.Field.Server.Simulation;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju serve</c> (production) and <c>paju demo</c> (a working system in one command).</summary>
public static class ServeCommands
{
    public const string DemoUser = "demo";

    public static Command Serve()
    {
        var command = new Command("serve", "서버를 실행합니다 (운영). 연결 문자열이 없으면 --data 의 내장 PostgreSQL 을 씁니다").WithServerOptions();
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, cli => RunServerAsync(cli, demo: false, ct)));
        return command;
    }

    public static Command Demo()
    {
        var command = new Command("demo", "데모: 내장 PostgreSQL·샘플 데이터·데모 계정·울곡 펌프장 시뮬레이터로 전체 시스템을 실행합니다").WithServerOptions();
        command.Options.Add(SimulateCommand.Scenario);
        command.Options.Add(SimulateCommand.Speed);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, cli =>
            RunServerAsync(cli, demo: true, ct, parse.GetValue(SimulateCommand.Scenario), parse.GetValue(SimulateCommand.Speed))));
        return command;
    }

    private static async Task<int> RunServerAsync(CliContext cli, bool demo, CancellationToken ct, string? scenario = null, double speed = 60)
    {
        var log = cli.Log("Paju.Server");
        await using var session = await cli.OpenDatabaseAsync(ct);
        log.LogInformation("Database: {Database}", session.Description);

        await using var app = ServerHost.Build(cli.Configuration, session.ConnectionString);
        string? demoPassword = null;
        if (demo)
        {
            var db = app.Services.GetRequiredService<NpgsqlDataSource>();
            if (await SampleSeeder.RegistryIsEmptyAsync(db, ct))
            {
                await SampleSeeder.SeedAsync(db, Actor.System("demo"), log, ct, app.Services.GetRequiredService<Tags.TagKeyStore>());
            }
            demoPassword = await EnsureDemoUserAsync(db, cli.Options.DataDirectory, ct);
        }

        try
        {
            await app.StartAsync(ct);
        }
        catch (OptionsValidationException e)
        {
            throw new PajuSetupException(string.Join(" ", e.Failures));
        }
        catch (IOException e)
        {
            throw new PajuSetupException($"Cannot listen on {cli.Options.Http}: {e.Message}. Choose another with --http HOST:PORT.", e);
        }
        var urls = app.Services.GetRequiredService<IOptions<PajuOptions>>().Value.PublicBaseUrl is { Length: > 0 } publicBase
            ? [publicBase.TrimEnd('/')]
            : ServerHost.ListeningAddresses(app);
        var mqtt = app.Services.GetRequiredService<Ingest.MqttOptions>();
        PrintWelcome(urls, demoPassword, mqtt.Embedded ? mqtt.Endpoint : null, app.Services.GetService<ServerCertificates>());

        // The demo's devices: both Ulgok stations, simulated as Modbus RTU controllers on pty pairs,
        // polled by the edge bridge, published to the embedded broker. Without socat they publish
        // over MQTT directly.
        using var stopSimulator = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var simulator = Task.CompletedTask;
        if (demo && mqtt.Embedded)
        {
            var db = app.Services.GetRequiredService<NpgsqlDataSource>();
            if (SocatPtyPair.IsAvailable)
            {
                simulator = DemoDevices.RunThroughSerialAsync(db, mqtt, scenario ?? "calm", speed, seed: 1, cli.Options.DataDirectory,
                    app.Services.GetRequiredService<ILoggerFactory>(), stopSimulator.Token);
            }
            else
            {
                log.LogWarning("socat is not installed: the simulated controllers publish over MQTT directly instead of through the Modbus bridge (apt-get install socat)");
                simulator = DemoDevices.PublishOverMqttAsync(db, mqtt, scenario ?? "calm", speed, seed: 1, log, stopSimulator.Token);
            }
        }

        try
        {
            await app.WaitForShutdownAsync(ct);
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("Stopping");
        }
        await stopSimulator.CancelAsync();
        try
        {
            await simulator;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("The simulator stopped with an error: {Reason}", e.Message);
        }
        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>
    /// The demo's admin account. Its password is made once, kept in the data folder (mode 0600)
    /// and printed at every start: a fixed demo password would be a hole the day someone runs
    /// the demo with --http 0.0.0.0.
    /// </summary>
    private static async Task<string> EnsureDemoUserAsync(NpgsqlDataSource db, string dataDirectory, CancellationToken ct)
    {
        var file = Path.Combine(Path.GetFullPath(dataDirectory), "demo-login.txt");
        var password = File.Exists(file) ? (await File.ReadAllTextAsync(file, ct)).Trim() : "";
        if (password.Length < UserStore.MinimumPasswordLength)
        {
            password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            await File.WriteAllTextAsync(file, password + Environment.NewLine, ct);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var user = await UserStore.FindAsync(conn, tx, DemoUser, ct);
        if (user is null)
        {
            user = await UserStore.CreateAsync(conn, tx, DemoUser, "데모 관리자", Roles.Admin, password, ct);
            await AuditLog.WriteAsync(conn, tx, Actor.System("demo"), "user.create", "user", DemoUser, new { user.Role }, ct);
        }
        else
        {
            // The file is the source of truth for the demo login, even after a restore from a backup.
            await UserStore.SetPasswordAsync(conn, tx, user.Id, password, ct);
        }
        await tx.CommitAsync(ct);
        return password;
    }

    private static void PrintWelcome(IReadOnlyList<string> urls, string? demoPassword, string? mqttEndpoint, ServerCertificates? certificates)
    {
        // People get the HTTPS address when there is one: phones need it for the camera, location and NFC.
        var baseUrl = (urls.FirstOrDefault(u => u.StartsWith("https://", StringComparison.Ordinal)) ?? urls.FirstOrDefault())?.TrimEnd('/') ?? "";
        Console.WriteLine();
        Console.WriteLine("  파주 현장안전 (Paju Field) 서버가 실행 중입니다.");
        Console.WriteLine($"    화면 (브라우저)  {baseUrl}/   ·   로그인 {baseUrl}/login");
        Console.WriteLine($"    API 안내       {baseUrl}/api");
        Console.WriteLine($"    상태 점검      {baseUrl}/health");
        Console.WriteLine($"    공간정보       {baseUrl}/ogc   ·   벡터 타일 {baseUrl}/tiles");
        if (mqttEndpoint is not null)
        {
            Console.WriteLine($"    MQTT (장치)    {mqttEndpoint}   (paju device add 로 장치 등록, 규약: firmware-bridge/PROTOCOL.md)");
        }
        if (demoPassword is not null)
        {
            Console.WriteLine($"    데모 계정      {DemoUser} / {demoPassword}   (관리자)");
        }
        if (certificates?.AuthorityFile is { } authority)
        {
            var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(authority);
            Console.WriteLine();
            Console.WriteLine("  HTTPS 인증서는 이 서버의 자체 인증기관이 만들었습니다. 휴대폰이 믿게 하려면 (사내망 전용):");
            Console.WriteLine($"    인증기관 파일  {authority}");
            Console.WriteLine($"    SHA-256 지문   {ServerCertificates.Fingerprint(ca)}");
            Console.WriteLine("    Android: 파일을 휴대폰에 옮긴 뒤 설정 › 보안 › 암호화 및 사용자 인증 정보 › 인증서 설치 › CA 인증서");
            Console.WriteLine("    iPhone:  파일을 AirDrop·메일로 보내 설치한 뒤 설정 › 일반 › VPN 및 기기 관리에서 프로파일 설치,");
            Console.WriteLine("             설정 › 일반 › 정보 › 인증서 신뢰 설정에서 '전체 신뢰'를 켭니다. 지문이 위와 같은지 확인하세요.");
        }
        Console.WriteLine("  끝내려면 Ctrl+C 를 누르세요.");
        Console.WriteLine();
    }
}
