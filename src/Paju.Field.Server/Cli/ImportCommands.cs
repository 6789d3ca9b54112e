using System.CommandLine;
using System.Diagnostics;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Import;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju import FILE --kind KIND</c>, <c>paju import undo BATCH</c>, <c>paju import list</c>, <c>paju export</c>.</summary>
public static class ImportCommands
{
    private static string KindList => string.Join(", ", ImportKind.All.Select(k => $"{k.Name} ({k.Label})"));

    private static string CrsList => string.Join(", ", CoordinateSystems.All.Select(c => $"EPSG:{c.Srid}"));

    public static Command Import()
    {
        var file = new Argument<string>("FILE") { Description = "가져올 파일: .csv, .geojson, .gpkg" };
        var kind = new Option<string>("--kind") { Description = $"무엇을 가져오는지: {KindList}", Required = true, HelpName = "KIND" };
        var format = new Option<string>("--format") { Description = "csv | geojson | gpkg (기본: 확장자로 판단)", HelpName = "FORMAT" };
        var crs = new Option<string>("--crs") { Description = $"파일의 좌표계 (기본: 파일이 밝힌 것, 없으면 EPSG:4326). 가능: {CrsList}", HelpName = "EPSG:n" };
        var encoding = new Option<string>("--encoding") { Description = "CSV 인코딩: utf-8 | cp949 (기본: BOM·내용으로 판단)", HelpName = "ENC" };
        var layer = new Option<string>("--layer") { Description = "GeoPackage 레이어 (여러 개일 때)", HelpName = "LAYER" };
        var dryRun = new Option<bool>("--dry-run") { Description = "검사만 하고 아무것도 쓰지 않습니다" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "잘못된 행은 보고서에 남기고 올바른 행만 넣습니다 (기본: 하나라도 잘못되면 아무것도 쓰지 않음)" };
        var repair = new Option<bool>("--repair") { Description = "유효하지 않은 geometry 를 ST_MakeValid 로 고쳐 넣습니다 (고친 수를 보고)" };
        var clip = new Option<bool>("--clip-to-city") { Description = "파주시 밖의 행은 잘못이 아니라 걸러낸 것으로 셉니다 (전국 파일용)" };
        var full = new Option<bool>("--full") { Description = "파일이 등록부 전체입니다: 파일에 없는 자산을 보고합니다" };
        var retireMissing = new Option<bool>("--retire-missing") { Description = "파일에 없는 자산을 폐지로 표시합니다 (지우지 않음; --full 포함)" };
        var codeColumn = new Option<string>("--code-column") { Description = "코드 열 이름 (기본: 종류별 표준 열)", HelpName = "NAME" };
        var nameColumn = new Option<string>("--name-column") { Description = "이름 열 이름", HelpName = "NAME" };
        var xColumn = new Option<string>("--x-column") { Description = "경도/x 열 이름 (기본: lotCrtsVl, lon, x …)", HelpName = "NAME" };
        var yColumn = new Option<string>("--y-column") { Description = "위도/y 열 이름 (기본: latCrtsVl, lat, y …)", HelpName = "NAME" };
        var report = new Option<string>("--report") { Description = "검사 보고서 CSV 경로 (기본: ./import-report-KIND-시각.csv)", HelpName = "FILE" };

        var command = new Command("import", """
            등록부 파일 가져오기 — 전국어린이놀이시설 정보, 공중이용시설 목록, 읍면동 경계.
            모든 행을 먼저 검사하고(좌표·유효성·파주 안·필수 항목·코드 중복), 파일 하나를 한 트랜잭션으로 씁니다.
            다시 가져오면 코드로 갱신하고 중복을 만들지 않습니다. 각 가져오기는 배치로 기록되어 되돌릴 수 있습니다.

            예:
              paju import pfct.csv --kind playground --encoding cp949 --clip-to-city
              paju import paju-emd.geojson --kind admin-area
              paju import 시설물.csv --kind public-facility --crs EPSG:5186 --dry-run
              paju import undo 12
            """).WithDatabaseOptions();
        command.Arguments.Add(file);
        foreach (var option in new Option[] { kind, format, crs, encoding, layer, dryRun, skipInvalid, repair, clip, full, retireMissing, codeColumn, nameColumn, xColumn, yColumn, report })
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var request = new ImportRequest(parse.GetValue(file)!, ImportKind.Parse(parse.GetValue(kind)!))
            {
                Format = parse.GetValue(format),
                Crs = parse.GetValue(crs) is { } c ? CoordinateSystems.Parse(c) : null,
                Encoding = parse.GetValue(encoding),
                Layer = parse.GetValue(layer),
                DryRun = parse.GetValue(dryRun),
                SkipInvalid = parse.GetValue(skipInvalid),
                Repair = parse.GetValue(repair),
                ClipToCity = parse.GetValue(clip),
                Full = parse.GetValue(full) || parse.GetValue(retireMissing),
                RetireMissing = parse.GetValue(retireMissing),
                Fields = new FieldOverrides(parse.GetValue(codeColumn), parse.GetValue(nameColumn), parse.GetValue(xColumn), parse.GetValue(yColumn)),
                ReportPath = parse.GetValue(report),
            };
            var progress = new ConsoleProgress();
            ImportResult result;
            try
            {
                result = await cli.WithDatabaseAsync(ct, db => new RegistryImporter(db).RunAsync(request, Actor.CommandLine(), progress, ct));
            }
            finally
            {
                progress.Finish();
            }
            ImportSummary.Print(request, result, Process.GetCurrentProcess().PeakWorkingSet64);
            cli.Log("Paju.Import").LogInformation("Import of {File} as {Kind}: {Outcome}, batch {Batch}, {Rows} rows, {Invalid} invalid, report {Report}",
                request.File, request.Kind.Name, result.Outcome, result.BatchId, result.RowsRead, result.Invalid, result.ReportPath);
            return result.Outcome == ImportOutcome.Rejected ? 3 : 0;
        }));

        command.Subcommands.Add(Undo());
        command.Subcommands.Add(List());
        return command;
    }

    private static Command Undo()
    {
        var batch = new Argument<long>("BATCH") { Description = "되돌릴 배치 번호 (paju import list)" };
        var command = new Command("undo", "가져오기 배치를 되돌립니다: 등록부를 그 배치 전 상태로 돌려 놓습니다 (최근 배치부터)").WithDatabaseOptions();
        command.Arguments.Add(batch);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var result = await cli.WithDatabaseAsync(ct, db => new ImportUndo(db).UndoAsync(parse.GetValue(batch), Actor.CommandLine(), ct));
            Console.WriteLine($"배치 {result.BatchId} ({result.Kind})를 되돌렸습니다: 새로 넣었던 {result.Removed}건 삭제, 바꾸거나 폐지했던 {result.Restored}건 복원" +
                (result.AreasReassigned > 0 ? $", 자산 {result.AreasReassigned}건의 읍면동 다시 지정" : ""));
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "가져오기 배치 목록 (누가, 언제, 어떤 파일, 몇 건)").WithDatabaseOptions();
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, cli => cli.WithDatabaseAsync(ct, async db =>
        {
            await using var cmd = db.CreateCommand("""
                SELECT id, kind, status, file_name, actor, to_char(started_at AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD HH24:MI'),
                       rows_read, inserted, updated, invalid, retired
                FROM import_batch ORDER BY id DESC LIMIT 50
                """);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            Console.WriteLine($"{"배치",5} {"종류",-16} {"상태",-8} {"시각(KST)",-16} {"행",8} {"추가",7} {"변경",7} {"오류",6} {"폐지",5}  파일 / 사용자");
            while (await reader.ReadAsync(ct))
            {
                Console.WriteLine($"{reader.GetInt64(0),5} {reader.GetString(1),-16} {reader.GetString(2),-8} {reader.GetString(5),-16} {reader.GetInt32(6),8:N0} {reader.GetInt32(7),7:N0} {reader.GetInt32(8),7:N0} {reader.GetInt32(9),6:N0} {reader.GetInt32(10),5:N0}  {reader.GetString(3)} / {reader.GetString(4)}");
            }
            return 0;
        })));
        return command;
    }

    public static Command Export()
    {
        var kind = new Option<string>("--kind") { Description = $"무엇을 내보내는지: {KindList}", Required = true, HelpName = "KIND" };
        var format = new Option<string>("--format") { Description = "geojson | csv | gpkg", Required = true, HelpName = "FORMAT" };
        var crs = new Option<string>("--crs") { Description = $"좌표계 (기본 EPSG:4326). 가능: {CrsList}", HelpName = "EPSG:n" };
        var output = new Option<string>("--output", "-o") { Description = "저장할 파일 (기본: ./KIND.FORMAT)", HelpName = "FILE" };
        var command = new Command("export", "등록부 내보내기 — 가져오기가 읽는 열 이름 그대로라서 다시 가져오면 같은 등록부가 됩니다").WithDatabaseOptions();
        foreach (var option in new Option[] { kind, format, crs, output })
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var k = ImportKind.Parse(parse.GetValue(kind)!);
            var f = parse.GetValue(format)!.ToLowerInvariant();
            var path = parse.GetValue(output) ?? $"{k.Name}.{f}";
            var c = parse.GetValue(crs) is { } text ? CoordinateSystems.Parse(text) : CoordinateSystems.Wgs84;
            var count = await cli.WithDatabaseAsync(ct, db => new RegistryExporter(db).ExportAsync(k, f, c, path, ct));
            Console.WriteLine($"{k.Label} {count:N0}건을 {Path.GetFullPath(path)} 에 썼습니다 ({f}, EPSG:{c.Srid})");
            return 0;
        }));
        return command;
    }
}
