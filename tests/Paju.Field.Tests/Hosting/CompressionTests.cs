using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text.Json;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Hosting;

/// <summary>What goes compressed to a browser that asks (Accept-Encoding), and what never does.</summary>
public sealed class CompressionTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static HttpClient Raw(TestServer server, string encoding)
    {
        // No automatic decompression: the test sees the bytes as sent.
        var client = server.CreateClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.None });
        client.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        return client;
    }

    [Fact]
    public async Task JSON_and_scripts_go_brotli_or_gzip_and_pages_go_as_they_are()
    {
        await using var server = await TestServer.StartAsync(db.ConnectionString);
        using var brotli = Raw(server, "br");
        using var gzip = Raw(server, "gzip");

        using var api = await brotli.GetAsync("/api/openapi.json");
        Assert.Equal(["br"], api.Content.Headers.ContentEncoding);
        await using (var decoded = new BrotliStream(await api.Content.ReadAsStreamAsync(), CompressionMode.Decompress))
        {
            Assert.True((await JsonDocument.ParseAsync(decoded)).RootElement.TryGetProperty("paths", out _));
        }

        var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "wwwroot", "manifest.json"))).RootElement;
        var script = manifest.GetProperty("pages").EnumerateArray().First(p => p.GetProperty("app").GetString() == "inspector")
            .GetProperty("assets").EnumerateArray().Select(a => a.GetString()!).First(a => a.EndsWith(".js", StringComparison.Ordinal));
        using var js = await gzip.GetAsync(script);
        Assert.Equal(["gzip"], js.Content.Headers.ContentEncoding);
        var original = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "wwwroot", script.TrimStart('/')));
        using var unzipped = new MemoryStream();
        await using (var decoded = new GZipStream(await js.Content.ReadAsStreamAsync(), CompressionMode.Decompress))
        {
            await decoded.CopyToAsync(unzipped);
        }
        Assert.Equal(original, unzipped.ToArray());

        // A page carries anti-forgery tokens: never compressed (BREACH).
        using var page = await brotli.GetAsync("/login");
        Assert.Empty(page.Content.Headers.ContentEncoding);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync());

        // A client that does not ask gets plain bytes.
        using var plain = server.CreateClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.None });
        using var unasked = await plain.GetAsync("/api/openapi.json");
        Assert.Empty(unasked.Content.Headers.ContentEncoding);
    }
}
