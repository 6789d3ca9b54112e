using System.CommandLine;
using System.Text;
using Paju.Field.Assets;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Hosting;
using Paju.Field.Server.Import;
using Paju.Field.Server.Tags;

namespace Paju.Field.Server.Cli;

/// <summary><c>paju tag add|list|retire|issue|sdm-sheet|rotate-key</c>: plates, their URLs and their keys.</summary>
public static class TagCommands
{
    public static Command Create()
    {
        var tag = new Command("tag", "시설 표지(QR·NFC 태그): 등록, 교체, 인쇄용 표지와 NTAG 424 설정표");
        tag.Subcommands.Add(Add());
        tag.Subcommands.Add(List());
        tag.Subcommands.Add(Retire());
        tag.Subcommands.Add(Issue());
        tag.Subcommands.Add(SdmSheetCommand());
        tag.Subcommands.Add(RotateKey());
        return tag;
    }

    private static Option<string> KindOption(string description) => new Option<string>("--kind") { Description = description }.AcceptingKinds();

    private static Option<string> AcceptingKinds(this Option<string> option)
    {
        option.AcceptOnlyFromAmong([.. AssetKinds.All]);
        return option;
    }

    private static Command Add()
    {
        var asset = new Argument<string>("ASSET") { Description = "자산 코드 (예: 놀이시설 번호, ULGOK-PS1)" };
        var kind = KindOption("자산 종류 (같은 코드가 여러 종류에 있을 때)");
        var type = new Option<string>("--type") { Description = "qr (인쇄 QR), ntag213, ntag215, ntag424 (SUN)", Required = true };
        type.AcceptOnlyFromAmong([.. TagStore.Types]);
        var uid = new Option<string>("--uid") { Description = "칩 UID (16진수, 예: 04A2241A6D5E80)" };
        var metaKey = new Option<string>("--meta-key") { Description = "NTAG 424 키 1 (picc_data, 16진수 32자리). 없으면 새로 만듭니다" };
        var fileKey = new Option<string>("--file-key") { Description = "NTAG 424 키 2 (SUN MAC, 16진수 32자리). 없으면 새로 만듭니다" };
        var command = new Command("add", "자산에 표지를 등록하고 그 주소를 보여 줍니다").WithDatabaseOptions();
        command.Options.Add(CommonOptions.PublicBaseUrl);
        command.Arguments.Add(asset);
        command.Options.Add(kind);
        command.Options.Add(type);
        command.Options.Add(uid);
        command.Options.Add(metaKey);
        command.Options.Add(fileKey);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            SunKeys? keys = null;
            var (meta, file) = (parse.GetValue(metaKey), parse.GetValue(fileKey));
            if (meta is not null || file is not null)
            {
                if (!IsKey(meta) || !IsKey(file))
                {
                    throw new TagException("--meta-key 와 --file-key 는 함께, 각각 16진수 32자리(AES-128 키)로 주세요.");
                }
                keys = new SunKeys(Convert.FromHexString(meta!), Convert.FromHexString(file!));
            }
            var store = KeyStore(cli);
            var created = await cli.InTransactionAsync(ct, async (conn, tx) =>
            {
                var target = await AssetRef.ResolveAsync(conn, tx, parse.GetValue(asset)!, parse.GetValue(kind), ct);
                return await TagStore.AddAsync(conn, tx, store, target, parse.GetValue(type)!, parse.GetValue(uid), keys, Actor.CommandLine(), ct);
            });
            Console.Error.WriteLine($"표지 {created.Id} ({created.Type}) 를 {AssetKinds.KoreanName(created.AssetKind)} {created.AssetCode} '{created.AssetName}' 에 등록했습니다.");
            if (created.Type == "ntag424")
            {
                Console.Error.WriteLine(keys is null
                    ? $"NTAG 424 키를 새로 만들어 {store.Path} 에 두었습니다. 태그에 쓰려면: paju tag sdm-sheet --tag {created.Id} --out FILE"
                    : $"주어진 NTAG 424 키를 {store.Path} 에 두었습니다.");
            }
            Console.WriteLine(created.Url(BaseUrl(cli), store));
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var kind = KindOption("이 종류의 자산만");
        var asset = new Option<string>("--asset") { Description = "이 자산 코드만" };
        var retired = new Option<bool>("--retired") { Description = "폐기된 표지도 보입니다" };
        var command = new Command("list", "표지 목록 (표지 번호, 종류, 자산, UID, 상태)").WithDatabaseOptions();
        command.Options.Add(kind);
        command.Options.Add(asset);
        command.Options.Add(retired);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var tags = await cli.WithDatabaseAsync(ct, async db =>
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                return await TagStore.ListAsync(conn, null, parse.GetValue(kind), parse.GetValue(asset), parse.GetValue(retired), ct);
            });
            foreach (var t in tags)
            {
                var state = t.Retired ? $"폐기 {t.RetiredAt:yyyy-MM-dd}{(t.ReplacedBy is null ? "" : $" → {t.ReplacedBy}")}" : "사용 중";
                Console.WriteLine($"{t.Id,-12} {t.Type,-8} {t.AssetKind,-16} {t.AssetCode,-18} {t.Uid ?? "-",-16} {state}  {t.AssetName}");
            }
            Console.Error.WriteLine($"표지 {tags.Count:N0}개");
            return 0;
        }));
        return command;
    }

    private static Command Retire()
    {
        var id = new Argument<string>("TAG") { Description = "표지 번호" };
        var replace = new Option<string>("--replace") { Description = "같은 자산에 이 종류의 새 표지를 만들어 바꿔 답니다 (qr, ntag213, ntag215, ntag424)" };
        replace.AcceptOnlyFromAmong([.. TagStore.Types]);
        var command = new Command("retire", "잃어버렸거나 망가진 표지를 폐기합니다 (기록은 남고, 그 표지의 체크인은 표시됩니다)").WithDatabaseOptions();
        command.Options.Add(CommonOptions.PublicBaseUrl);
        command.Arguments.Add(id);
        command.Options.Add(replace);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var store = KeyStore(cli);
            var (retired, replacement) = await cli.InTransactionAsync(ct, (conn, tx) =>
                TagStore.RetireAsync(conn, tx, store, parse.GetValue(id)!, parse.GetValue(replace), Actor.CommandLine(), ct));
            Console.Error.WriteLine($"표지 {retired.Id} ({retired.AssetCode}) 를 폐기했습니다.");
            if (replacement is not null)
            {
                Console.Error.WriteLine($"새 표지 {replacement.Id} ({replacement.Type}) 를 달았습니다:");
                Console.WriteLine(replacement.Url(BaseUrl(cli), store));
            }
            return 0;
        }));
        return command;
    }

    private static Command Issue()
    {
        var kind = KindOption("이 종류의 자산 (예: playground)");
        kind.Required = true;
        var output = new Option<DirectoryInfo>("--out") { Description = "표지를 쓸 폴더 (urls.csv, plates/*.svg, plates/*.png)", Required = true };
        var noCreate = new Option<bool>("--no-create") { Description = "표지가 없는 자산에 새 QR 표지를 만들지 않습니다" };
        var command = new Command("issue", "한 종류의 모든 자산의 인쇄용 표지(QR, 이름, 코드)와 urls.csv 를 씁니다. 표지가 없는 자산에는 QR 표지를 먼저 만듭니다").WithDatabaseOptions();
        command.Options.Add(CommonOptions.PublicBaseUrl);
        command.Options.Add(kind);
        command.Options.Add(output);
        command.Options.Add(noCreate);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var store = KeyStore(cli);
            var baseUrl = BaseUrl(cli, warn: true);
            var kindName = parse.GetValue(kind)!;
            using var plates = new TagPlates();
            var progress = new ConsoleProgress();
            var (made, tags) = await cli.InTransactionAsync(ct, async (conn, tx) =>
            {
                var created = 0;
                if (!parse.GetValue(noCreate))
                {
                    var done = 0;
                    created = await TagStore.AddMissingAsync(conn, tx, store, kindName, "qr", Actor.CommandLine(),
                        new Progress<int>(n => progress.Report(new ImportProgress("표지 등록", done += n, 0))), ct);
                }
                return (created, await TagStore.ListAsync(conn, tx, kindName, null, false, ct));
            });
            var directory = parse.GetValue(output)!.FullName;
            var plateDirectory = Path.Combine(directory, "plates");
            Directory.CreateDirectory(plateDirectory);
            var csv = new StringBuilder("asset_code,asset_name,tag_id,type,url\n");
            for (var i = 0; i < tags.Count; i++)
            {
                var t = tags[i];
                var url = t.Url(baseUrl, store);
                csv.Append(SdmSheet.Csv(t.AssetCode)).Append(',').Append(SdmSheet.Csv(t.AssetName)).Append(',').Append(t.Id).Append(',').Append(t.Type).Append(',').Append(url).Append('\n');
                var text = new PlateText(url, AssetKinds.KoreanName(t.AssetKind), t.AssetName, t.AssetCode, t.Id);
                var file = Path.Combine(plateDirectory, $"{FileSafe(t.AssetCode)}-{t.Id}");
                await File.WriteAllBytesAsync(file + ".png", plates.Png(text), ct);
                await File.WriteAllTextAsync(file + ".svg", plates.Svg(text), ct);
                progress.Report(new ImportProgress("표지 그리기", i + 1, (i + 1) / (double)tags.Count));
            }
            progress.Finish();
            // UTF-8 with a BOM: Excel opens Korean names right.
            await File.WriteAllTextAsync(Path.Combine(directory, "urls.csv"), csv.ToString(), new UTF8Encoding(true), ct);
            Console.Error.WriteLine($"{AssetKinds.KoreanName(kindName)} 표지 {tags.Count:N0}개 (새로 만든 표지 {made:N0}개) 를 {directory} 에 썼습니다: urls.csv, plates/*.png, plates/*.svg");
            return 0;
        }));
        return command;
    }

    private static Command SdmSheetCommand()
    {
        var kind = KindOption("이 종류 자산의 NTAG 424 표지 전부");
        var tagId = new Option<string>("--tag") { Description = "이 표지만" };
        var output = new Option<FileInfo>("--out") { Description = "설정표 CSV (키가 들어 있어 0600 으로 씁니다)", Required = true };
        var command = new Command("sdm-sheet", "NTAG 424 DNA 태그를 SUN 으로 설정하는 데 필요한 것(주소 틀, picc_data·cmac 위치, 파일 설정, 키)을 CSV 로 씁니다").WithDatabaseOptions();
        command.Options.Add(CommonOptions.PublicBaseUrl);
        command.Options.Add(kind);
        command.Options.Add(tagId);
        command.Options.Add(output);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async cli =>
        {
            var store = KeyStore(cli);
            var baseUrl = BaseUrl(cli, warn: true);
            var tags = await cli.WithDatabaseAsync(ct, async db =>
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                if (parse.GetValue(tagId) is { } one)
                {
                    return await TagStore.FindAsync(conn, null, one, ct) is { } found ? [found] : throw new TagException($"표지 '{one}' 가 없습니다.");
                }
                return await TagStore.ListAsync(conn, null, parse.GetValue(kind), null, false, ct);
            });
            var rows = tags.Where(t => t.Type == "ntag424").Select(t => SdmSheet.For(t,
                store.SunKeysOf(t.Id) ?? throw new TagException($"NTAG 424 표지 {t.Id} 의 키가 {store.Path} 에 없습니다."), baseUrl)).ToList();
            if (rows.Count == 0)
            {
                throw new TagException("NTAG 424 표지가 없습니다. paju tag add ASSET --type ntag424 로 먼저 등록하세요.");
            }
            var path = parse.GetValue(output)!.FullName;
            await using (var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            await using (var writer = new StreamWriter(stream, new UTF8Encoding(true)))
            {
                await writer.WriteLineAsync(SdmSheet.Header);
                foreach (var row in rows)
                {
                    await writer.WriteLineAsync(SdmSheet.CsvLine(row));
                }
            }
            Console.Error.WriteLine($"NTAG 424 표지 {rows.Count:N0}개의 설정표를 {path} 에 썼습니다. 키가 들어 있으니 설정이 끝나면 지우세요.");
            return 0;
        }));
        return command;
    }

    private static Command RotateKey()
    {
        var command = new Command("rotate-key", "새 서명 키 버전을 만듭니다. 이후 표지는 새 키로 서명하고, 이미 인쇄한 표지는 이전 버전으로 계속 확인됩니다").WithDatabaseOptions();
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, cli =>
        {
            var store = KeyStore(cli);
            var version = store.RotateSigningKey();
            Console.WriteLine($"서명 키 버전 {version} 을 만들었습니다 ({store.Path}). 유지되는 버전: {string.Join(", ", store.SigningVersions())}");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static TagKeyStore KeyStore(CliContext cli) =>
        TagKeyStore.From(cli.Configuration.ReadPajuOptions<TagOptions>(), cli.Options.DataDirectory);

    /// <summary>The public address plates carry; without one configured, this server's own HTTP address (said, for printing).</summary>
    private static string BaseUrl(CliContext cli, bool warn = false)
    {
        if (!string.IsNullOrWhiteSpace(cli.Options.PublicBaseUrl))
        {
            return cli.Options.PublicBaseUrl.TrimEnd('/');
        }
        var local = $"http://{cli.Options.Http}";
        if (warn)
        {
            Console.Error.WriteLine($"주의: 공개 주소(--public-base-url, Paju__PublicBaseUrl)가 없어 {local} 로 씁니다. 인쇄할 표지에는 시민이 접속할 주소를 주세요.");
        }
        return local;
    }

    private static bool IsKey(string? hex) => hex is { Length: 32 } && hex.All(char.IsAsciiHexDigit);

    private static string FileSafe(string code) => string.Concat(code.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
