using System.CommandLine;
using Paju.Field.Server.Database;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju db migrate|backup|restore</c>.</summary>
public static class DbCommands
{
    public static Command Create()
    {
        var db = new Command("db", "데이터베이스 관리: 마이그레이션, 백업, 복원");

        var migrate = new Command("migrate", "스키마 마이그레이션을 적용합니다 (여러 번 실행해도 안전)").WithDatabaseOptions();
        migrate.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await using var session = await cli.OpenDatabaseAsync(ct, migrate: false);
            var applied = await Migrator.MigrateAsync(session.ConnectionString, cli.Log("Paju.Database"), ct);
            Console.WriteLine(applied == 0
                ? $"스키마가 최신입니다 (버전 {Migrator.LatestVersion}, {session.Description})."
                : $"마이그레이션 {applied}개를 적용했습니다 (버전 {Migrator.LatestVersion}, {session.Description}).");
            return 0;
        }));

        var file = new Argument<string>("FILE") { Description = "백업 파일 (pg_dump custom 형식)" };
        var backup = new Command("backup", "데이터베이스 전체를 파일로 백업합니다").WithDatabaseOptions();
        backup.Arguments.Add(file);
        backup.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await using var session = await cli.OpenDatabaseAsync(ct);
            await BackupRestore.BackupAsync(session.ConnectionString, parse.GetValue(file)!, cli.Log("Paju.Database"), ct);
            Console.WriteLine($"백업했습니다: {Path.GetFullPath(parse.GetValue(file)!)}");
            return 0;
        }));

        var restoreFile = new Argument<string>("FILE") { Description = "paju db backup 으로 만든 파일" };
        var restore = new Command("restore", "백업 파일로 데이터베이스를 되돌립니다 (한 트랜잭션: 실패하면 그대로)").WithDatabaseOptions();
        restore.Arguments.Add(restoreFile);
        restore.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await using var session = await cli.OpenDatabaseAsync(ct, migrate: false);
            await BackupRestore.RestoreAsync(session.ConnectionString, parse.GetValue(restoreFile)!, cli.Log("Paju.Database"), ct);
            // A backup from an older version is brought up to this program's schema.
            await Migrator.MigrateAsync(session.ConnectionString, cli.Log("Paju.Database"), ct);
            Console.WriteLine($"복원했습니다: {Path.GetFullPath(parse.GetValue(restoreFile)!)}");
            return 0;
        }));

        db.Subcommands.Add(migrate);
        db.Subcommands.Add(backup);
        db.Subcommands.Add(restore);
        return db;
    }
}
