using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Database;
using Paju.Field.Server.Tags;
using Paju.Field.Tags;
using Paju.Field.Tests.Harness;
using SkiaSharp;
using ZXing;
using ZXing.Common;

namespace Paju.Field.Tests.Tags;

/// <summary>`paju tag`: plates a phone can read, the NTAG 424 programming sheet, retiring and replacing.</summary>
public sealed class TagCommandTests(PostgisServer server) : IAsyncLifetime
{
    private const string PublicBase = "https://gis.paju.go.kr/field";
    private readonly TestDatabase _db = new(server);
    private readonly string _data = TempDirectory.Create("paju-tag-cli-");

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        // Names as the registry has them, one long enough to need two lines on the plate.
        await _db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom)
            SELECT 'playground', 'PG-C' || lpad(i::text, 4, '0'),
                   CASE i WHEN 1 THEN '파주시 운정신도시 한빛마을 9단지 롯데캐슬파크타운 어린이놀이터 (놀이시설 2호)' ELSE '문산읍 놀이터 ' || i END,
                   ST_SetSRID(ST_MakePoint(126.78 + i * 0.001, 37.76), 4326)
            FROM generate_series(1, 5) i
            """);
    }

    /// <summary>Runs `paju`; the commands that print URLs get the public address.</summary>
    private Task<Server.Database.ProcessResult> Paju(params string[] args) =>
        PajuCli.RunAsync([.. args, "--db", _db.ConnectionString, "--data", _data, .. args[1] is "list" or "rotate-key" ? [] : new[] { "--public-base-url", PublicBase }],
            ct: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Every_printed_plate_decodes_to_its_URL_and_the_keys_stay_in_a_private_file()
    {
        var output = Path.Combine(_data, "plates-out");

        var issued = await Paju("tag", "issue", "--kind", "playground", "--out", output);

        Assert.True(issued.Succeeded, issued.StandardError);
        Assert.Contains("표지 5개 (새로 만든 표지 5개)", issued.StandardError);
        var csv = await File.ReadAllBytesAsync(Path.Combine(output, "urls.csv"));
        Assert.Equal([0xEF, 0xBB, 0xBF], csv[..3]); // Excel reads the Korean names right
        var rows = Encoding.UTF8.GetString(csv[3..]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(5, rows.Count);
        foreach (var row in rows)
        {
            var url = row[(row.LastIndexOf(',') + 1)..];
            var tagId = new Uri(url).Segments[^1];
            Assert.StartsWith($"{PublicBase}/t/{tagId}?s=1.", url);
            var plate = Directory.GetFiles(Path.Combine(output, "plates"), $"*-{tagId}.png").Single();
            Assert.Equal(url, DecodeQr(plate));
            var svg = XDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(plate, ".svg")));
            Assert.Contains(row.Split(',')[0], svg.ToString()); // the asset code is printed
        }
        Assert.Contains("롯데캐슬", await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(output, "plates"), "PG-C0001-*.svg").Single()));

        var keyFile = Path.Combine(_data, "keys", "tags.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        // A dump of the database cannot forge a plate: the signing key is in no row, not even the audit log's.
        var signingKey = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(keyFile)).RootElement.GetProperty("signing")[0].GetProperty("key").GetString()!;
        Assert.Equal(64, signingKey.Length);
        Assert.Equal(0L, await _db.ScalarAsync<long>("""
            SELECT (SELECT count(*) FROM tag t WHERE row_to_json(t)::text ILIKE '%' || $1 || '%')
                 + (SELECT count(*) FROM audit_log l WHERE row_to_json(l)::text ILIKE '%' || $1 || '%')
            """, signingKey));
        var again = await Paju("tag", "issue", "--kind", "playground", "--out", output);
        Assert.Contains("새로 만든 표지 0개", again.StandardError);
    }

    [Fact]
    public async Task The_SDM_sheet_puts_picc_data_and_cmac_where_the_tag_writes_them()
    {
        var add = await Paju("tag", "add", "PG-C0002", "--type", "ntag424");
        Assert.True(add.Succeeded, add.StandardError);
        var tagId = new Uri(add.StandardOutput.Trim()).Segments[^1];
        var sheet = Path.Combine(_data, "sdm.csv");

        var written = await Paju("tag", "sdm-sheet", "--tag", tagId, "--out", sheet);

        Assert.True(written.Succeeded, written.StandardError);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sheet));
        var lines = (await File.ReadAllLinesAsync(sheet)).ToList();
        var header = lines[0].TrimStart('\uFEFF').Split(',');
        var row = lines[1].Split(',');
        string Field(string name) => row[Array.IndexOf(header, name)];
        Assert.Equal(tagId, Field("tag_id"));
        var ndef = Convert.FromHexString(Field("ndef_file_hex"));
        var meta = Convert.FromHexString(Field("key1_meta_hex"));
        var file = Convert.FromHexString(Field("key2_file_hex"));

        // Do what the tag does on a tap: write picc_data and the MAC as ASCII hex at the sheet's offsets.
        var tap = new SunTagEmulator(PublicBase, tagId, meta, file, "04C0FFEE123456", counter: 6).Tap();
        var query = new Uri(tap).Query;
        var picc = query.Split("picc_data=")[1][..32];
        var mac = query.Split("cmac=")[1][..16];
        Encoding.ASCII.GetBytes(picc).CopyTo(ndef, int.Parse(Field("picc_data_offset")));
        Encoding.ASCII.GetBytes(mac).CopyTo(ndef, int.Parse(Field("sdm_mac_offset")));
        Assert.Equal(Field("sdm_mac_offset"), Field("sdm_mac_input_offset")); // nothing between: the MAC input is empty

        // Read the NDEF file back as a phone would: NLEN, one short URI record, prefix 0x04 = https://.
        Assert.Equal(ndef.Length - 2, ndef[1]);
        Assert.Equal(new byte[] { 0xD1, 0x01, (byte)(ndef.Length - 6), 0x55, 0x04 }, ndef[2..7]);
        var read = "https://" + Encoding.ASCII.GetString(ndef, 7, ndef.Length - 7);
        Assert.Equal(tap, read);
        var (url, _) = TagUrl.Parse(read);
        var reading = SunMessage.DecryptPiccData(meta, url!.PiccData)!.Value;
        Assert.True(SunMessage.MacMatches(file, reading, [], url.Cmac));
    }

    [Fact]
    public async Task A_tag_is_retired_and_replaced_and_the_list_says_so()
    {
        var add = await Paju("tag", "add", "PG-C0003", "--type", "ntag213", "--uid", "04:AA:BB:CC:DD:EE:01");
        var tagId = new Uri(add.StandardOutput.Trim()).Segments[^1];
        var duplicateUid = await Paju("tag", "add", "PG-C0004", "--type", "ntag213", "--uid", "04AABBCCDDEE01");

        var retire = await Paju("tag", "retire", tagId, "--replace", "ntag215");
        var list = await Paju("tag", "list", "--asset", "PG-C0003", "--retired");
        var unknown = await Paju("tag", "add", "NO-SUCH", "--type", "qr");

        Assert.Equal(1, duplicateUid.ExitCode);
        Assert.Contains($"이미 태그 {tagId}", duplicateUid.StandardError);
        Assert.True(retire.Succeeded, retire.StandardError);
        var replacement = new Uri(retire.StandardOutput.Trim()).Segments[^1];
        Assert.Contains($"{tagId}", list.StandardOutput);
        Assert.Contains($"→ {replacement}", list.StandardOutput);
        Assert.Contains("04AABBCCDDEE01", list.StandardOutput);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("자산 코드 'NO-SUCH' 가 없습니다", unknown.StandardError);
        Assert.Equal(2L, await _db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'tag.add' AND detail->>'asset' = 'PG-C0003'"));
    }

    private string KeyFile => Path.Combine(_data, "keys", "tags.json");

    private static string TagIdOf(Server.Database.ProcessResult added) => new Uri(added.StandardOutput.Trim()).Segments[^1];

    /// <summary>What the server's verifier (the same for HTTP and MQTT) makes of a URL, with the key file the commands wrote.</summary>
    private async Task<CheckInVerdict> VerifyAsync(string url)
    {
        var verifier = new CheckInVerifier(new TagKeyStore(KeyFile), new TagOptions(), NullLogger<CheckInVerifier>.Instance);
        await using var conn = await _db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var verdict = await verifier.DecideAsync(conn, tx, new CheckInClaim("url", url, null, null, null), default);
        await tx.CommitAsync();
        return verdict;
    }

    [Fact]
    public async Task The_URL_list_names_each_plates_asset_code_name_tag_and_URL()
    {
        var output = Path.Combine(_data, "plates-out");

        var issued = await Paju("tag", "issue", "--kind", "playground", "--out", output);

        Assert.True(issued.Succeeded, issued.StandardError);
        var lines = (await File.ReadAllLinesAsync(Path.Combine(output, "urls.csv"))).Where(l => l.Length > 0).ToList();
        Assert.Equal("asset_code,asset_name,tag_id,type,url", lines[0].TrimStart('\uFEFF'));
        Assert.Equal(5, lines.Count - 1);
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(','); // no name here has a comma
            Assert.Equal(5, fields.Length);
            var (code, name, tagId, type, url) = (fields[0], fields[1], fields[2], fields[3], fields[4]);
            Assert.Equal(name, await _db.ScalarAsync<string>("SELECT a.name FROM tag t JOIN asset a ON a.id = t.asset_id WHERE t.id = $1 AND a.code = $2", tagId, code));
            Assert.Equal("qr", type);
            Assert.StartsWith($"{PublicBase}/t/{tagId}?s=1.", url);
        }
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"PG-C{i:0000}"), lines.Skip(1).Select(l => l.Split(',')[0]).Order());
    }

    [Fact]
    public async Task The_SDM_sheet_gives_the_file_and_SDM_settings_an_NTAG_424_needs_for_its_URL()
    {
        var tagId = TagIdOf(await Paju("tag", "add", "PG-C0002", "--type", "ntag424"));
        var sheet = Path.Combine(_data, "sdm.csv");

        var written = await Paju("tag", "sdm-sheet", "--tag", tagId, "--out", sheet);

        Assert.True(written.Succeeded, written.StandardError);
        var lines = await File.ReadAllLinesAsync(sheet);
        var header = lines[0].TrimStart('\uFEFF').Split(',');
        Assert.Equal(["tag_id", "asset_code", "asset_name", "uid", "url_template", "ndef_file_hex", "picc_data_offset", "sdm_mac_input_offset", "sdm_mac_offset",
            "file_option", "access_rights", "sdm_options", "sdm_access_rights", "key1_meta_hex", "key2_file_hex"], header);
        var row = lines[1].Split(',');
        string Field(string name) => row[Array.IndexOf(header, name)];
        int Hex(string name, int digits) => Convert.ToInt32(Field(name)[..digits], 16);

        // FileOption: SDM and mirroring enabled (bit 6), communication mode plain (bits 1–0 = 00): a phone reads the URL as it is.
        Assert.Equal(0x40, Hex("file_option", 2));
        // Access rights (Read, Write, ReadWrite, Change nibbles): read free (E), every change only with key 0, the city's master key.
        Assert.Equal(0xE000, Hex("access_rights", 4));
        // SDMOptions: UID mirror (bit 7), SDMReadCtr mirror (bit 6), no encrypted file data (bit 4) nor counter limit (bit 5), ASCII (bit 0).
        Assert.Equal(0xC1, Hex("sdm_options", 2));
        // SDMAccessRights: RFU F, SDMCtrRet F (no free counter read), SDMMetaRead key 1 (picc_data encrypted), SDMFileRead key 2 (the MAC); LSB first on the wire.
        var sdmRights = Hex("sdm_access_rights", 4);
        Assert.Equal((0xF, 0xF, 1, 2), (sdmRights >> 12, (sdmRights >> 8) & 0xF, (sdmRights >> 4) & 0xF, sdmRights & 0xF));
        Assert.Contains("12 FF", Field("sdm_access_rights"));
        // The keys the sheet hands out are the ones the server verifies with: key 1 is the meta key, key 2 the file key.
        var keys = new TagKeyStore(KeyFile).SunKeysOf(tagId)!;
        Assert.Equal(Convert.ToHexString(keys.Meta), Field("key1_meta_hex"));
        Assert.Equal(Convert.ToHexString(keys.File), Field("key2_file_hex"));
        Assert.Equal($"{PublicBase}/t/{tagId}?picc_data={new string('0', 32)}&cmac={new string('0', 16)}", Field("url_template"));
    }

    [Fact]
    public async Task Given_NTAG_424_keys_are_the_ones_a_tap_verifies_with_and_generated_keys_differ_from_tag_to_tag()
    {
        const string meta = "00112233445566778899AABBCCDDEEFF", file = "F0E1D2C3B4A5968778695A4B3C2D1E0F";

        var given = await Paju("tag", "add", "PG-C0001", "--type", "ntag424", "--meta-key", meta, "--file-key", file);
        var first = await Paju("tag", "add", "PG-C0002", "--type", "ntag424");
        var second = await Paju("tag", "add", "PG-C0003", "--type", "ntag424");
        var half = await Paju("tag", "add", "PG-C0004", "--type", "ntag424", "--meta-key", meta);

        Assert.True(given.Succeeded, given.StandardError);
        Assert.Contains("주어진 NTAG 424 키를", given.StandardError);
        Assert.Contains("NTAG 424 키를 새로 만들어", first.StandardError);
        Assert.Equal(1, half.ExitCode);
        Assert.Contains("--meta-key 와 --file-key 는 함께", half.StandardError);
        var store = new TagKeyStore(KeyFile);
        var givenId = TagIdOf(given);
        Assert.Equal(meta, Convert.ToHexString(store.SunKeysOf(givenId)!.Meta));
        Assert.Equal(file, Convert.ToHexString(store.SunKeysOf(givenId)!.File));

        // A tag programmed with the given keys proves its taps; the same tap made with other keys does not.
        var tap = new SunTagEmulator(PublicBase, givenId, Convert.FromHexString(meta), Convert.FromHexString(file), "04C0FFEE000001", counter: 2).Tap();
        var forged = new SunTagEmulator(PublicBase, givenId, Convert.FromHexString(file), Convert.FromHexString(meta), "04C0FFEE000001", counter: 5).Tap();
        var verdict = await VerifyAsync(tap);
        Assert.Equal(("sun", 3), (verdict.Proof, verdict.Counter));
        Assert.Equal("bad_signature", (await VerifyAsync(forged)).Proof);

        // Generated keys: 128 random bits each, none shared between tags or with the given ones.
        var generated = new[] { TagIdOf(first), TagIdOf(second) }.Select(id => store.SunKeysOf(id)!).SelectMany(k => new[] { k.Meta, k.File })
            .Select(Convert.ToHexString).ToList();
        Assert.All(generated, k => Assert.Equal(32, k.Length));
        Assert.Equal(6, generated.Concat([meta, file]).Distinct().Count());
    }

    [Fact]
    public async Task Rotating_the_signing_key_at_the_command_line_keeps_old_plates_verifying_and_signs_new_ones_with_the_new_version()
    {
        var before = await Paju("tag", "add", "PG-C0001", "--type", "qr");

        var rotate = await Paju("tag", "rotate-key");
        var after = await Paju("tag", "add", "PG-C0002", "--type", "qr");

        Assert.True(rotate.Succeeded, rotate.StandardError);
        Assert.Contains("서명 키 버전 2", rotate.StandardOutput);
        Assert.Contains("유지되는 버전: 1, 2", rotate.StandardOutput);
        var (oldPlate, newPlate) = (before.StandardOutput.Trim(), after.StandardOutput.Trim());
        Assert.Contains("?s=1.", oldPlate);
        Assert.Contains("?s=2.", newPlate);
        Assert.Equal(2, await _db.ScalarAsync<int>("SELECT key_version FROM tag WHERE id = $1", TagIdOf(after)));
        Assert.Equal("signature", (await VerifyAsync(oldPlate)).Proof); // printed before the rotation, still good
        Assert.Equal("signature", (await VerifyAsync(newPlate)).Proof);
        // Version 1's signature does not pass for version 2 and the other way round: the version in the URL picks the key.
        Assert.Equal("bad_signature", (await VerifyAsync(oldPlate.Replace("?s=1.", "?s=2.", StringComparison.Ordinal))).Proof);
    }

    [Fact]
    public async Task A_plates_signature_is_the_HMAC_SHA256_of_its_tag_id_cut_to_96_bits_in_base64url()
    {
        var added = await Paju("tag", "add", "PG-C0001", "--type", "qr");
        var tagId = TagIdOf(added);
        var signing = JsonDocument.Parse(await File.ReadAllTextAsync(KeyFile)).RootElement.GetProperty("signing")[0];
        Assert.Equal(1, signing.GetProperty("version").GetInt32());
        var key = Convert.FromHexString(signing.GetProperty("key").GetString()!);

        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(tagId));
        var expected = Convert.ToBase64String(mac, 0, 12).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.Equal(16, expected.Length);
        Assert.Equal($"{PublicBase}/t/{tagId}?s=1.{expected}", added.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_full_dump_of_the_database_carries_no_tag_key()
    {
        const string meta = "0123456789ABCDEF0123456789ABCDEF", file = "FEDCBA9876543210FEDCBA9876543210";
        var given = TagIdOf(await Paju("tag", "add", "PG-C0001", "--type", "ntag424", "--meta-key", meta, "--file-key", file, "--uid", "04A1B2C3D4E5F6"));
        var generated = TagIdOf(await Paju("tag", "add", "PG-C0002", "--type", "ntag424"));
        var printed = TagIdOf(await Paju("tag", "add", "PG-C0003", "--type", "qr"));
        Assert.True((await Paju("tag", "retire", printed, "--replace", "ntag424")).Succeeded);
        var store = new TagKeyStore(KeyFile);
        var secrets = new List<byte[]> { Convert.FromHexString(meta), Convert.FromHexString(file), store.SigningKey(1)! };
        var replacement = await _db.ScalarAsync<string>("SELECT replaced_by FROM tag WHERE id = $1", printed);
        foreach (var id in new[] { generated, replacement })
        {
            secrets.Add(store.SunKeysOf(id)!.Meta);
            secrets.Add(store.SunKeysOf(id)!.File);
        }
        Assert.Equal(7, secrets.Count);

        var dump = await PlainDumpAsync();

        Assert.Contains(given, dump); // the tags are in it…
        Assert.Contains("04A1B2C3D4E5F6", dump);
        foreach (var secret in secrets) // …their keys are not, in hex or base64
        {
            Assert.DoesNotContain(Convert.ToHexString(secret), dump, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(secret).TrimEnd('='), dump, StringComparison.Ordinal);
        }
    }

    /// <summary>pg_dump of the whole database as SQL text (the PostgreSQL tools of the test cluster when there are, else PATH's).</summary>
    private async Task<string> PlainDumpAsync()
    {
        var b = new NpgsqlConnectionStringBuilder(_db.ConnectionString);
        var tool = PostgresBinaries.TryFind()?.Tool("pg_dump") ?? "pg_dump";
        var environment = string.IsNullOrEmpty(b.Password) ? new Dictionary<string, string>() : new Dictionary<string, string> { ["PGPASSWORD"] = b.Password };
        var target = Path.Combine(_data, "full.sql");
        var result = await ProcessRunner.RunAsync(tool,
            ["--format=plain", "--no-owner", "--file", target, "--host", b.Host ?? "127.0.0.1", "--port", b.Port.ToString(), "--username", b.Username ?? "postgres", "--dbname", b.Database!],
            environment: environment, ct: TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded, result.StandardError);
        var text = await File.ReadAllTextAsync(target);
        Assert.Contains("COPY public.tag ", text);
        return text;
    }

    private static string? DecodeQr(string png)
    {
        // Every row of the plate searched for the finder patterns, as a phone's scanner does over many frames: the plate's
        // Korean name and code beside the code once threw the sparse default search off one plate in a run.
        var hints = new Dictionary<DecodeHintType, object>
        {
            [DecodeHintType.POSSIBLE_FORMATS] = new List<BarcodeFormat> { BarcodeFormat.QR_CODE }, [DecodeHintType.TRY_HARDER] = true,
        };
        using var decoded = SKBitmap.Decode(png);
        // And like a scanner, more than one look: both of ZXing's binarizers, at the plate's size and at twice it (modules kept
        // square), since a random signature now and then draws a pattern one look misreads (one plate in a CI run).
        foreach (var scale in new[] { 1, 2 })
        {
            using var frame = decoded.Resize(new SKImageInfo(decoded.Width * scale, decoded.Height * scale, SKColorType.Rgba8888),
                new SKSamplingOptions(SKFilterMode.Nearest));
            var source = new RGBLuminanceSource(frame.Bytes, frame.Width, frame.Height, RGBLuminanceSource.BitmapFormat.RGBA32);
            foreach (var bitmap in new[] { new BinaryBitmap(new HybridBinarizer(source)), new BinaryBitmap(new GlobalHistogramBinarizer(source)) })
            {
                if (new MultiFormatReader().decode(bitmap, hints) is { } result)
                {
                    return result.Text;
                }
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
