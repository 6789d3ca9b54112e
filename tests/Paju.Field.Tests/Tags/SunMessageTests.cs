using System.Text;
using Paju.Field.Tags;

namespace Paju.Field.Tests.Tags;

/// <summary>NTAG 424 DNA SUN messages against NXP's published vectors (AN12196), then round trips through the emulator.</summary>
public sealed class SunMessageTests
{
    private static readonly byte[] ZeroKey = new byte[16];

    [Fact]
    public void Plain_SUN_message_of_AN12196_gives_its_UID_counter_and_MAC()
    {
        var (url, problem) = TagUrl.Parse("https://example.test/t/abcdef1234?picc_data=EF963FF7828658A599F3041510671E88&cmac=94EED9EE65337086");
        Assert.Null(problem);

        var reading = SunMessage.DecryptPiccData(ZeroKey, url!.PiccData);
        Assert.Equal(new SunReading("04DE5F1EACC040", 61), reading);
        Assert.Equal("", url.MacInput);
        Assert.True(SunMessage.MacMatches(ZeroKey, reading!.Value, [], url.Cmac));
    }

    [Fact]
    public void SUN_message_with_encrypted_file_data_of_AN12196_MACs_the_text_between_the_offsets()
    {
        var (url, _) = TagUrl.Parse("https://example.test/t/abcdef1234?picc_data=FD91EC264309878BE6345CBE53BADF40&enc=CEE9A53E3E463EF1F459635736738962&cmac=ECC1E7F6C6C73BF6");

        var reading = SunMessage.DecryptPiccData(ZeroKey, url!.PiccData)!.Value;
        Assert.Equal(new SunReading("04958CAA5C5E80", 8), reading);
        Assert.Equal("CEE9A53E3E463EF1F459635736738962&cmac=", url.MacInput);
        Assert.True(SunMessage.MacMatches(ZeroKey, reading, Encoding.ASCII.GetBytes(url.MacInput), url.Cmac));
        Assert.Equal("xxxxxxxxxxxxxxxx", Encoding.ASCII.GetString(SunMessage.DecryptFileData(ZeroKey, reading, url.Enc)));
    }

    [Fact]
    public void Session_keys_of_AN12196()
    {
        var fileKey = Convert.FromHexString("5ACE7E50AB65D5D51FD5BF5A16B8205B");
        var reading = new SunReading("04C767F2066180", 1); // counter bytes 01 00 00, LSB first

        Assert.Equal("66DA61797E23DECA5D8ECA13BBADF7A9", Convert.ToHexString(SunMessage.SessionEncKey(fileKey, reading)));
        Assert.Equal("3A3E8110E05311F7A3FCF0D969BF2B48", Convert.ToHexString(SunMessage.SessionMacKey(fileKey, reading)));
    }

    [Fact]
    public void A_tampered_MAC_or_a_wrong_key_does_not_verify()
    {
        var (url, _) = TagUrl.Parse("https://example.test/t/abcdef1234?picc_data=EF963FF7828658A599F3041510671E88&cmac=94EED9EE65337087");
        var reading = SunMessage.DecryptPiccData(ZeroKey, url!.PiccData)!.Value;
        Assert.False(SunMessage.MacMatches(ZeroKey, reading, [], url.Cmac));

        var otherKey = Enumerable.Repeat((byte)7, 16).ToArray();
        Assert.Null(SunMessage.DecryptPiccData(otherKey, url.PiccData)); // garbage without the 0xC7 tag byte
    }

    [Fact]
    public void The_emulator_writes_what_the_verifier_reads_with_and_without_file_data()
    {
        var meta = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var file = Enumerable.Range(100, 16).Select(i => (byte)i).ToArray();
        var tag = new SunTagEmulator("https://field.example/app", "pg0001a", meta, file, "04A2241A6D5E80", counter: 41);

        foreach (var text in new[] { tag.Tap(), tag.Tap(Encoding.ASCII.GetBytes("0123456789abcdef")) })
        {
            var (url, problem) = TagUrl.Parse(text);
            Assert.Null(problem);
            Assert.StartsWith("https://field.example/app/t/pg0001a?picc_data=", text);
            var reading = SunMessage.DecryptPiccData(meta, url!.PiccData)!.Value;
            Assert.Equal("04A2241A6D5E80", reading.Uid);
            Assert.True(SunMessage.MacMatches(file, reading, Encoding.ASCII.GetBytes(url.MacInput), url.Cmac));
        }
        Assert.Equal(43, tag.Counter);
    }

    [Fact]
    public void Static_signatures_verify_only_for_their_tag_and_key()
    {
        var key = Enumerable.Repeat((byte)42, 32).ToArray();
        var parameter = TagSignature.Parameter(3, key, "pg0001a");

        Assert.True(TagSignature.TryParse(parameter, out var version, out var signature));
        Assert.Equal(3, version);
        Assert.Equal(16, signature.Length); // 96 bits, base64url
        Assert.True(TagSignature.Matches(key, "pg0001a", signature));
        Assert.False(TagSignature.Matches(key, "pg0001b", signature));
        Assert.False(TagSignature.Matches(new byte[32], "pg0001a", signature));
        Assert.False(TagSignature.Matches(key, "pg0001a", signature[..^1] + (signature[^1] == 'A' ? 'B' : 'A')));
    }

    [Theory]
    [InlineData("https://x.test/a/b", "the path must end in /t/{tag id}")]
    [InlineData("https://x.test/t/ABC", "the path must end in /t/{tag id}")]
    [InlineData("ftp://x.test/t/abcdef1", "http(s)")]
    [InlineData("https://x.test/t/abcdef1?picc_data=00&cmac=11", "picc_data (32 hex digits)")]
    public void Malformed_tag_URLs_are_refused_with_the_reason(string text, string reason)
    {
        var (url, problem) = TagUrl.Parse(text);
        Assert.Null(url);
        Assert.Contains(reason, problem);
    }
}
