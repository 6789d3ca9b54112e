using System.CommandLine;
using System.Text.Json;
using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Inspections;
using Paju.Field.Server.Tags;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju program list|show|edit</c> (the statutory programs as data) and <c>paju body add|assign|list</c> (관리주체).</summary>
public static class ProgramCommands
{
    public static Command Program()
    {
        var program = new Command("program", "점검 프로그램(법정 점검 항목과 주기): 보기, 고치기 (고치면 새 버전)");

        var list = new Command("list", "프로그램과 현재 버전").WithDatabaseOptions();
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var programs = await cli.WithDatabaseAsync(ct, async db =>
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                return await ProgramStore.CurrentAsync(conn, null, ct);
            });
            foreach (var p in programs)
            {
                Console.WriteLine($"{p.Code,-22} v{p.Version,-3} {p.Definition.Cadence,-11} {p.SubjectKind,-16} {p.DepartmentName}  {p.Definition.Name} (항목 {p.Definition.Items.Count}개)");
            }
            return 0;
        }));

        var code = new Argument<string>("CODE") { Description = "프로그램 코드 (예: playground-monthly)" };
        var version = new Option<int?>("--version") { Description = "이 버전 (없으면 현재 버전)" };
        var show = new Command("show", "프로그램 정의를 JSON 으로 씁니다 (고칠 때의 출발점)").WithDatabaseOptions();
        show.Arguments.Add(code);
        show.Options.Add(version);
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var found = await cli.WithDatabaseAsync(ct, async db =>
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                return await ProgramStore.VersionAsync(conn, null, parse.GetValue(code)!, parse.GetValue(version), ct);
            }) ?? throw new ProgramException($"프로그램 '{parse.GetValue(code)}' (버전 {parse.GetValue(version)?.ToString() ?? "현재"}) 가 없습니다.");
            Console.WriteLine(JsonSerializer.Serialize(found.Definition, new JsonSerializerOptions(ProgramDefinition.Json) { WriteIndented = true }));
            Console.Error.WriteLine($"{found.Code} 버전 {found.Version} ({found.CreatedAt:yyyy-MM-dd}, {found.CreatedBy})");
            return 0;
        }));

        var editCode = new Argument<string>("CODE") { Description = "프로그램 코드" };
        var file = new Option<FileInfo>("--file") { Description = "새 정의 (JSON, paju program show 의 형식)", Required = true };
        var edit = new Command("edit", "새 정의를 다음 버전으로 저장합니다. 이미 한 점검은 그때의 버전을 그대로 가집니다").WithDatabaseOptions();
        edit.Arguments.Add(editCode);
        edit.Options.Add(file);
        edit.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var json = await File.ReadAllTextAsync(parse.GetValue(file)!.FullName, ct);
            var created = await cli.InTransactionAsync(ct, (conn, tx) => ProgramStore.AddVersionAsync(conn, tx, parse.GetValue(editCode)!, json, Actor.CommandLine(), ct));
            Console.WriteLine($"{created.Code} 버전 {created.Version} 을 저장했습니다: {created.Definition.Name} (항목 {created.Definition.Items.Count}개).");
            return 0;
        }));

        program.Subcommands.Add(list);
        program.Subcommands.Add(show);
        program.Subcommands.Add(edit);
        return program;
    }

    public static Command Body()
    {
        var body = new Command("body", "관리주체(아파트 관리사무소, 어린이집 등): 만들기, 시설 맡기기. 관리주체 사용자는 맡은 시설만 보고 점검합니다");

        var code = new Argument<string>("CODE") { Description = "관리주체 코드 (영문 소문자·숫자·._-)" };
        var name = new Option<string>("--name") { Description = "이름, 예: 한빛마을 9단지 관리사무소", Required = true };
        var add = new Command("add", "관리주체를 만듭니다").WithDatabaseOptions();
        add.Arguments.Add(code);
        add.Options.Add(name);
        add.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await cli.InTransactionAsync(ct, async (conn, tx) =>
            {
                await using var cmd = new NpgsqlCommand("INSERT INTO managing_body (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING", conn, tx)
                {
                    Parameters = { new() { Value = parse.GetValue(code)! }, new() { Value = parse.GetValue(name)! } },
                };
                if (await cmd.ExecuteNonQueryAsync(ct) == 0)
                {
                    throw new ProgramException($"관리주체 '{parse.GetValue(code)}' 가 이미 있습니다.");
                }
                await AuditLog.WriteAsync(conn, tx, Actor.CommandLine(), "body.add", "managing_body", parse.GetValue(code), new { name = parse.GetValue(name) }, ct);
                return true;
            });
            Console.WriteLine($"관리주체 '{parse.GetValue(code)}' ({parse.GetValue(name)}) 를 만들었습니다. 사용자: paju user add NAME --role managing_body --managing-body {parse.GetValue(code)}");
            return 0;
        }));

        var assignBody = new Argument<string>("CODE") { Description = "관리주체 코드" };
        var assets = new Argument<string[]>("ASSET") { Description = "맡길 시설의 자산 코드 (여럿)", Arity = ArgumentArity.OneOrMore };
        var kind = new Option<string>("--kind") { Description = "자산 종류 (같은 코드가 여러 종류에 있을 때)" };
        var assign = new Command("assign", "시설을 관리주체에게 맡깁니다").WithDatabaseOptions();
        assign.Arguments.Add(assignBody);
        assign.Arguments.Add(assets);
        assign.Options.Add(kind);
        assign.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var count = await cli.InTransactionAsync(ct, async (conn, tx) =>
            {
                var n = 0;
                foreach (var asset in parse.GetValue(assets)!)
                {
                    var target = await AssetRef.ResolveAsync(conn, tx, asset, parse.GetValue(kind), ct);
                    await using var cmd = new NpgsqlCommand(
                        "UPDATE asset SET managing_body_id = (SELECT id FROM managing_body WHERE code = $2) WHERE id = $1 AND EXISTS (SELECT 1 FROM managing_body WHERE code = $2)", conn, tx)
                    {
                        Parameters = { new() { Value = target.Id }, new() { Value = parse.GetValue(assignBody)! } },
                    };
                    if (await cmd.ExecuteNonQueryAsync(ct) == 0)
                    {
                        throw new ProgramException($"관리주체 '{parse.GetValue(assignBody)}' 가 없습니다. paju body add 로 먼저 만드세요.");
                    }
                    await AuditLog.WriteAsync(conn, tx, Actor.CommandLine(), "body.assign", "asset", target.Code, new { body = parse.GetValue(assignBody), kind = target.Kind }, ct);
                    n++;
                }
                return n;
            });
            Console.WriteLine($"시설 {count}곳을 '{parse.GetValue(assignBody)}' 에 맡겼습니다.");
            return 0;
        }));

        var list = new Command("list", "관리주체와 맡은 시설 수").WithDatabaseOptions();
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await cli.WithDatabaseAsync(ct, async db =>
            {
                await using var cmd = db.CreateCommand("""
                    SELECT b.code, b.name, (SELECT count(*) FROM asset a WHERE a.managing_body_id = b.id), (SELECT count(*) FROM app_user u WHERE u.managing_body_id = b.id)
                    FROM managing_body b ORDER BY b.code
                    """);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    Console.WriteLine($"{reader.GetString(0),-24} 시설 {reader.GetInt64(2),5:N0}  사용자 {reader.GetInt64(3),3:N0}  {reader.GetString(1)}");
                }
                return true;
            });
            return 0;
        }));

        body.Subcommands.Add(add);
        body.Subcommands.Add(assign);
        body.Subcommands.Add(list);
        return body;
    }
}
