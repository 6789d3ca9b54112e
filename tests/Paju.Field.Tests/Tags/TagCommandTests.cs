using System.Text;
using System.Xml.Linq;
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
        PajuCli.RunAsync([.. args, "--db", _db.ConnectionString, "--data", _data, .. args[1] is "list" ? [] : new[] { "--public-base-url", PublicBase }],
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

    private static string? DecodeQr(string png)
    {
        using var decoded = SKBitmap.Decode(png);
        using var rgba = decoded.Copy(SKColorType.Rgba8888);
        var source = new RGBLuminanceSource(rgba.Bytes, rgba.Width, rgba.Height, RGBLuminanceSource.BitmapFormat.RGBA32);
        var result = new MultiFormatReader().decode(new BinaryBitmap(new HybridBinarizer(source)),
            new Dictionary<DecodeHintType, object> { [DecodeHintType.POSSIBLE_FORMATS] = new List<BarcodeFormat> { BarcodeFormat.QR_CODE } });
        return result?.Text;
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
