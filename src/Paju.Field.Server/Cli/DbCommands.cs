using System.CommandLine;
using Paju.Field.Server.Database;
using Paju.Field.Server.Hosting;
using Paju.Field.Server.Inspections;

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

        var file = new Argument<string>("FILE") { Description = "백업 파일 (pg_dump custom 형식). 점검 사진은 FILE.photos/ 에" };
        var backup = new Command("backup", "데이터베이스 전체를 파일로, 점검 사진을 FILE.photos/ 로 백업합니다 (사진은 없는 것만 복사)").WithDatabaseOptions();
        backup.Arguments.Add(file);
        backup.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            await using var session = await cli.OpenDatabaseAsync(ct);
            await BackupRestore.BackupAsync(session.ConnectionString, parse.GetValue(file)!, cli.Log("Paju.Database"), ct);
            var photos = PhotoBackup.FolderFor(parse.GetValue(file)!);
            var (copied, present) = PhotoBackup.Copy(Path.Combine(PhotoRoot(cli), "sha256"), photos);
            Console.WriteLine($"백업했습니다: {Path.GetFullPath(parse.GetValue(file)!)}");
            Console.WriteLine($"점검 사진: {photos} (새로 복사 {copied:N0}장, 이미 있음 {present:N0}장)");
            Console.WriteLine($"태그 키 파일은 데이터베이스 백업에 넣지 않습니다. 따로 안전하게 보관하세요: {Tags.TagKeyStore.From(cli.Configuration.ReadPajuOptions<Tags.TagOptions>(), cli.Options.DataDirectory).Path}");
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
            var (copied, present) = PhotoBackup.Copy(PhotoBackup.FolderFor(parse.GetValue(restoreFile)!), Path.Combine(PhotoRoot(cli), "sha256"));
            Console.WriteLine($"복원했습니다: {Path.GetFullPath(parse.GetValue(restoreFile)!)} (점검 사진 {copied:N0}장 되돌림, {present:N0}장은 이미 있음)");
            return 0;
        }));

        db.Subcommands.Add(migrate);
        db.Subcommands.Add(backup);
        db.Subcommands.Add(restore);
        return db;
    }

    private static string PhotoRoot(CliContext cli) =>
        cli.Configuration.ReadPajuOptions<InspectionOptions>().PhotoRoot(cli.Options.DataDirectory);
}
