using System.Text;
using Paju.Field.Server.Import;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Import;

/// <summary>Korean text as portals export it: UTF-8 with or without a BOM, CP949; a wrong encoding or a file with no line breaks stops with the line named.</summary>
public sealed class TextSourceTests : IDisposable
{
    private const string Sample = "pfctSn,pfctNm,ronaAddr\n1,운정 해솔마을 어린이놀이터,경기도 파주시 해솔로 23\n2,금촌 새꽃 놀이터,경기도 파주시 새꽃로 140\n";
    private readonly string _dir = TempDirectory.Create("paju-text-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string ReadAll(string path, string? declared = null)
    {
        using var reader = TextSource.Open(path, TextSource.Resolve(path, declared));
        return reader.ReadToEnd();
    }

    [Fact]
    public void Utf8_with_and_without_a_bom_and_cp949_all_read_as_the_same_korean_text()
    {
        var utf8 = Write("utf8.csv", Encoding.UTF8.GetBytes(Sample));
        var bom = Write("bom.csv", [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(Sample)]);
        var cp949 = Write("cp949.csv", TextSource.Cp949.GetBytes(Sample));
        Assert.Equal(65001, TextSource.Resolve(utf8, null).CodePage);
        Assert.Equal(949, TextSource.Resolve(cp949, null).CodePage);
        Assert.Equal(Sample, ReadAll(utf8));
        Assert.Equal(Sample, ReadAll(bom));
        Assert.Equal(Sample, ReadAll(cp949));
        Assert.Equal(Sample, ReadAll(cp949, "euc-kr"));
    }

    [Fact]
    public void A_cp949_file_declared_utf8_stops_at_its_first_korean_line_and_says_what_it_probably_is()
    {
        var cp949 = Write("cp949.csv", TextSource.Cp949.GetBytes(Sample));
        var e = Assert.Throws<ImportException>(() => ReadAll(cp949, "utf-8"));
        Assert.Contains("2번째 줄", e.Message);
        Assert.Contains("--encoding cp949", e.Message);

        var unknown = Assert.Throws<ImportException>(() => TextSource.Resolve(cp949, "latin1"));
        Assert.Contains("utf-8 또는 cp949", unknown.Message);
    }

    [Fact]
    public void An_empty_file_and_50_mb_without_a_line_break_are_refused_before_memory_fills()
    {
        var empty = Write("empty.csv", []);
        Assert.Contains("빈 파일", Assert.Throws<ImportException>(() => ReadAll(empty)).Message);

        var path = Path.Combine(_dir, "one-line.csv");
        using (var file = File.Create(path))
        {
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("126.7,37.8,", 10_000)));
            while (file.Length < 50 * 1024 * 1024)
            {
                file.Write(chunk);
            }
        }
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var e = Assert.Throws<ImportException>(() =>
        {
            using var reader = TextSource.Open(path, TextSource.Resolve(path, null));
            var buffer = new char[1 << 16];
            while (reader.Read(buffer, 0, buffer.Length) > 0)
            {
            }
        });
        Assert.Contains("1번째 줄이 1,048,576자를 넘습니다", e.Message);
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < 16 * 1024 * 1024);
    }
}
