using System.CommandLine;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Hosting;
using Paju.Field.Server.Seeding;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju seed --sample | --purge-sample</c>.</summary>
public static class SeedCommand
{
    public static Command Create()
    {
        var sample = new Option<bool>("--sample") { Description = "샘플 데이터를 넣습니다 (놀이시설 719, 공중이용시설 177, 울곡지구, 공중케이블 정비구역)" };
        var purge = new Option<bool>("--purge-sample") { Description = "샘플 데이터만 지웁니다 (실제 데이터는 그대로)" };
        var command = new Command("seed", "샘플 데이터 넣기/지우기 — 모든 샘플 행은 is_sample 과 [샘플] 표시가 있습니다").WithDatabaseOptions();
        command.Options.Add(sample);
        command.Options.Add(purge);
        command.Validators.Add(result =>
        {
            if (result.GetValue(sample) == result.GetValue(purge))
            {
                result.AddError("--sample 또는 --purge-sample 중 하나를 지정하세요.");
            }
        });
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await using var session = await cli.OpenDatabaseAsync(ct);
            await using var db = DatabaseSession.CreateDataSource(session.ConnectionString);
            var log = cli.Log("Paju.Seed");
            if (parse.GetValue(sample))
            {
                var keys = Tags.TagKeyStore.From(cli.Configuration.ReadPajuOptions<Tags.TagOptions>(), cli.Options.DataDirectory);
                var result = await SampleSeeder.SeedAsync(db, Actor.CommandLine(), log, ct, keys);
                Console.WriteLine(result.AlreadyPresent ? "샘플 데이터가 이미 있습니다:" : "샘플 데이터를 넣었습니다:");
                foreach (var (kind, count) in result.CountsByKind)
                {
                    Console.WriteLine($"  {kind,-20} {count,5}");
                }
            }
            else
            {
                var deleted = await SampleSeeder.PurgeAsync(db, Actor.CommandLine(), log, ct);
                Console.WriteLine($"샘플 데이터 {deleted}건을 지웠습니다. 실제 데이터는 그대로입니다.");
            }
            return 0;
        }));
        return command;
    }
}
