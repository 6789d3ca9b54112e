using System.Text;
using Paju.Field.Json;
using Paju.Field.Telemetry;

namespace Paju.Field.Tests.Ingest;

/// <summary>The one test of JSON text that devices' payloads and people's requests both go through.</summary>
public sealed class JsonTextScanTests
{
    private static string Path(JsonTextScan.Finding finding) =>
        string.Concat(finding.Path.Select(s => s.IsIndex ? $"/{s.Index}" : $"/{s.Name}"));

    [Theory]
    [InlineData("""{"a":{"b":[1,"x","a\u0000b"]}}""", "Nul", "/a/b/2")]
    [InlineData("""{"a":[{"p":1},{"q":"\ud800"}]}""", "NotText", "/a/1/q")]
    [InlineData("""{"caf\u00e9":{"x":"\udc00\ud800"}}""", "NotText", "/café/x")]
    [InlineData("""{"ok":"\ud83d\ude00","n":null,"s":"\u0000"}""", "Nul", "/s")]
    [InlineData("""[[],[[1],"\u0000"]]""", "Nul", "/1/1")]
    public void A_value_is_found_with_its_path(string json, string problem, string path)
    {
        Assert.True(JsonTextScan.TryFind(Encoding.UTF8.GetBytes(json), 8, out var finding));
        Assert.NotNull(finding);
        Assert.Equal(problem, finding.Problem.ToString());
        Assert.False(finding.InName);
        Assert.Equal(path, Path(finding));
    }

    [Fact]
    public void A_name_is_found_under_the_object_that_holds_it_and_only_the_first_problem_counts()
    {
        Assert.True(JsonTextScan.TryFind("""{"a":{"first":1,"b\u0000c":"\u0000"}}"""u8, 8, out var nul));
        Assert.Equal((JsonTextScan.Problem.Nul, true, "b\0c", "/a"), (nul!.Problem, nul.InName, nul.Name, Path(nul)));

        Assert.True(JsonTextScan.TryFind("""{"\ud800":1}"""u8, 8, out var surrogate));
        Assert.Equal((JsonTextScan.Problem.NotText, true, (string?)null, ""), (surrogate!.Problem, surrogate.InName, surrogate.Name, Path(surrogate)));
    }

    [Fact]
    public void Bytes_that_are_not_UTF_8_are_not_text_and_clean_JSON_has_no_finding()
    {
        byte[] encodedSurrogate = [.. "{\"a\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8];
        Assert.True(JsonTextScan.TryFind(encodedSurrogate, 8, out var finding));
        Assert.Equal((JsonTextScan.Problem.NotText, "/a"), (finding!.Problem, Path(finding)));

        Assert.True(JsonTextScan.TryFind("""{"이름":"파주 \"울곡\" 1\\2","n":[1e400,true]}"""u8, 8, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void Nesting_past_the_limit_is_a_finding_and_JSON_that_does_not_parse_is_the_callers()
    {
        var deep = Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}");
        Assert.True(JsonTextScan.TryFind(deep, 8, out var tooDeep));
        Assert.Equal((JsonTextScan.Problem.TooDeep, "/a/0/0/0/0/0/0/0"), (tooDeep!.Problem, Path(tooDeep)));
        Assert.True(JsonTextScan.TryFind(Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 7) + new string(']', 7) + "}"), 8, out var deepest));
        Assert.Null(deepest);

        // Not JSON, even after a finding: the caller refuses it in its own terms.
        Assert.False(JsonTextScan.TryFind("""{"a":"\u0000","""u8, 8, out var broken));
        Assert.Null(broken);
    }

    [Fact]
    public void A_device_payload_is_refused_in_the_same_words_as_before()
    {
        Assert.Null(PayloadJson.ParseObject("""{"device":"p1","x":{"y":["\u0000"]}}"""u8, out var nul));
        Assert.Equal("'/x/y/0' contains a NUL character (\\u0000)", nul);
        Assert.Null(PayloadJson.ParseObject("""{"a\u0000":1}"""u8, out var inName));
        Assert.Equal("the field name 'a\\u0000' contains a NUL character (\\u0000)", inName);
        Assert.Null(PayloadJson.ParseObject("""{"m":{"\ud800":1}}"""u8, out var surrogateName));
        Assert.Equal("a field name under '/m' contains an unpaired UTF-16 surrogate (\\ud800–\\udfff), which is not text", surrogateName);
        using var clean = PayloadJson.ParseObject("""{"device":"p1","metrics":{"level_m":1.5}}"""u8, out var none);
        Assert.NotNull(clean);
        Assert.Null(none);
    }
}
