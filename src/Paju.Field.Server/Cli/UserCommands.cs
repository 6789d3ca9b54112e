using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju user add|list|token</c>: accounts from the command line, audited like the API.</summary>
public static class UserCommands
{
    public static Command Create()
    {
        var user = new Command("user", "사용자 계정 관리");
        user.Subcommands.Add(Add());
        user.Subcommands.Add(List());
        user.Subcommands.Add(Token());
        user.Subcommands.Add(Unlock());
        return user;
    }

    /// <summary>Lifts a lock (and the delays) that failed sign-ins put on an account.</summary>
    private static Command Unlock()
    {
        var username = new Argument<string>("USERNAME") { Description = "잠긴 계정" };
        var command = new Command("unlock", "로그인 실패로 잠긴 계정을 바로 풉니다").WithDatabaseOptions();
        command.Arguments.Add(username);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var name = parse.GetValue(username)!.Trim().ToLowerInvariant();
            var lifted = await cli.WithDatabaseAsync(ct, async db =>
            {
                var any = await SignInThrottle.LiftAsync(db, SignInThrottle.Account, name, ct);
                await using var conn = await db.OpenConnectionAsync(ct);
                await AuditLog.WriteAsync(conn, null, Actor.CommandLine(), "user.unlock", "user", name, new { lifted = any }, ct);
                return any;
            });
            Console.WriteLine(lifted ? $"'{name}' 계정의 로그인 제한을 풀었습니다." : $"'{name}' 계정에는 로그인 제한이 없습니다.");
            return 0;
        }));
        return command;
    }

    private static Command Add()
    {
        var username = new Argument<string>("USERNAME") { Description = "로그인 이름 (영문 소문자·숫자·._-, 3~32자)" };
        var role = new Option<string>("--role")
        {
            Description = "역할: admin (관리자), operator (상황실), inspector (현장 점검), managing_body (관리주체), committee (위원회), viewer (열람)",
            Required = true,
        };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var name = new Option<string>("--name") { Description = "표시 이름, 예: 홍길동" };
        var generate = new Option<bool>("--generate-password") { Description = "비밀번호를 만들어 한 번 보여 줍니다" };
        var department = new Option<string>("--department") { Description = "부서 코드 (예: safety = 안전총괄과)" };
        var body = new Option<string>("--managing-body") { Description = "관리주체 코드 (역할 managing_body 일 때 필수)" };
        var command = new Command("add", """
            사용자를 만듭니다. 첫 관리자: paju user add admin --role admin
            비밀번호는 터미널에서 두 번 묻고, 표준입력이 파이프이면 첫 줄을 읽습니다.
            """).WithDatabaseOptions();
        command.Arguments.Add(username);
        command.Options.Add(role);
        command.Options.Add(name);
        command.Options.Add(generate);
        command.Options.Add(department);
        command.Options.Add(body);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var password = parse.GetValue(generate)
                ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('/', '_').Replace('+', '-')
                : ReadPassword();
            var created = await cli.InTransactionAsync(ct, async (conn, tx) =>
            {
                var user = await UserStore.CreateAsync(conn, tx, parse.GetValue(username)!, parse.GetValue(name) ?? "", parse.GetValue(role)!, password, ct,
                    parse.GetValue(department), parse.GetValue(body));
                await AuditLog.WriteAsync(conn, tx, Actor.CommandLine(), "user.create", "user", user.Username,
                    new { user.Role, user.DisplayName, department = parse.GetValue(department), managingBody = parse.GetValue(body) }, ct);
                return user;
            });
            Console.WriteLine($"사용자 '{created.Username}' ({created.Role}) 를 만들었습니다.");
            if (parse.GetValue(generate))
            {
                Console.WriteLine($"비밀번호: {password}   (다시 보여 주지 않습니다)");
            }
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "사용자 목록").WithDatabaseOptions();
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await using var session = await cli.OpenDatabaseAsync(ct);
            await using var db = DatabaseSession.CreateDataSource(session.ConnectionString);
            await using var conn = await db.OpenConnectionAsync(ct);
            foreach (var u in await UserStore.ListAsync(conn, ct))
            {
                Console.WriteLine($"{u.Username,-20} {u.Role,-10} {u.DisplayName}{(u.Disabled ? "  (사용 중지)" : "")}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Token()
    {
        var username = new Argument<string>("USERNAME") { Description = "토큰을 받을 사용자" };
        var label = new Option<string>("--label") { Description = "토큰 용도, 예: 백업 스크립트" };
        var days = new Option<int?>("--days") { Description = "유효 기간 (일, 기본값 Paju:TokenLifetimeDays = 30)" };
        var command = new Command("token", "API 베어러 토큰을 발급합니다 (스크립트·다른 시스템용)").WithDatabaseOptions();
        command.Arguments.Add(username);
        command.Options.Add(label);
        command.Options.Add(days);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var tokenLabel = parse.GetValue(label) ?? "cli";
            var (user, issued) = await cli.InTransactionAsync(ct, async (conn, tx) =>
            {
                var user = await UserStore.FindAsync(conn, tx, parse.GetValue(username)!, ct)
                    ?? throw new AccountException($"사용자 '{parse.GetValue(username)}'이(가) 없습니다.");
                var issued = await ApiTokens.IssueAsync(conn, tx, user.Id, tokenLabel,
                    TimeSpan.FromDays(parse.GetValue(days) ?? cli.Options.TokenLifetimeDays), ct);
                await AuditLog.WriteAsync(conn, tx, Actor.CommandLine(), "token.issue", "user", user.Username,
                    new { label = tokenLabel, expiresAt = issued.ExpiresAt }, ct);
                return (user, issued);
            });
            Console.WriteLine(issued.Token);
            Console.Error.WriteLine($"'{user.Username}' 의 토큰, {issued.ExpiresAt:yyyy-MM-dd HH:mm} UTC 까지 유효. Authorization: Bearer <토큰>");
            return 0;
        }));
        return command;
    }

    private static string ReadPassword()
    {
        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine()?.TrimEnd('\r', '\n')
                ?? throw new AccountException("표준입력에 비밀번호가 없습니다.");
        }
        var first = Prompt("비밀번호: ");
        var second = Prompt("비밀번호 확인: ");
        return first == second ? first : throw new AccountException("두 비밀번호가 다릅니다.");
    }

    private static string Prompt(string label)
    {
        Console.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.WriteLine();
                return text.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
