using System.Net;
using System.Text.Json;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.WebApps;

/// <summary>What the web build puts on the wire: right content types, a year's caching for hashed names, none for pages.</summary>
public sealed class WebBuildTests(WebFixture web) : IClassFixture<WebFixture>
{
    private static JsonElement Manifest()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "wwwroot", "manifest.json");
        Assert.True(File.Exists(path), "the web build is missing: ./paju builds maps/ before the tests");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    [Fact]
    public async Task Hashed_assets_are_served_with_their_type_and_cached_for_a_year()
    {
        using var client = web.Server.CreateClient();
        var assets = Manifest().GetProperty("pages").EnumerateArray()
            .SelectMany(p => p.GetProperty("assets").EnumerateArray().Select(a => a.GetString()!)).Distinct().ToList();
        Assert.Contains(assets, a => a.EndsWith(".js", StringComparison.Ordinal));
        Assert.Contains(assets, a => a.EndsWith(".css", StringComparison.Ordinal));

        foreach (var asset in assets.Concat(assets.Select(a => a + ".map")))
        {
            using var response = await client.GetAsync(asset);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {(int)response.StatusCode}");
            var expected = Path.GetExtension(asset) switch
            {
                ".js" => "text/javascript",
                ".css" => "text/css",
                _ => "application/json",
            };
            Assert.Equal(expected, response.Content.Headers.ContentType!.MediaType);
            var caching = response.Headers.CacheControl!;
            Assert.True(caching.Public && caching.MaxAge == TimeSpan.FromDays(365) && caching.Extensions.Any(e => e.Name == "immutable"), $"{asset}: Cache-Control {caching}");
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    [Theory]
    [InlineData("/login")]
    [InlineData("/")]
    public async Task Pages_are_UTF_8_HTML_revalidated_on_every_visit_and_run_only_their_own_scripts(string path)
    {
        using var client = web.Server.CreateClient();
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType.CharSet);
        Assert.True(response.Headers.CacheControl!.NoCache);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("{{", html);
        Assert.DoesNotContain("https://", html);   // nothing from a CDN
        Assert.Matches("/assets/shared/style-[A-Z0-9]{8}\\.css", html);
    }

    [Fact]
    public async Task A_missing_asset_is_404_and_the_service_description_moved_to_api()
    {
        using var client = web.Server.CreateClient();
        using var missing = await client.GetAsync("/assets/shared/nothing-ABCDEFGH.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var api = await client.GetAsync("/api");
        Assert.Equal("application/json", api.Content.Headers.ContentType!.MediaType);
        var links = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("links");
        Assert.Contains(links.EnumerateArray(), l => l.GetProperty("rel").GetString() == "alternate" && l.GetProperty("type").GetString() == "text/html");
    }

    [Theory]
    [InlineData("/login")]
    [InlineData("/logout")]
    public async Task A_form_posted_from_another_site_is_refused(string path)
    {
        using var client = web.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = WebFixture.People["admin"], ["password"] = WebFixture.Password }),
        };
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie");
    }
}
