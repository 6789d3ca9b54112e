using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Hosting;

/// <summary>/health, PublicBaseUrl and forwarded headers.</summary>
public sealed class HostTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Health_is_200_with_the_database_state_when_the_database_answers()
    {
        await using var server = await TestServer.StartAsync(db.ConnectionString);
        using var client = server.CreateClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal("ok", body.GetProperty("database").GetProperty("status").GetString());
        Assert.StartsWith("3.", body.GetProperty("database").GetProperty("postGis").GetString());
    }

    [Fact]
    public async Task Health_is_503_with_the_reason_when_the_database_does_not_answer()
    {
        // A port nothing listens on: the server starts, but its database is gone.
        var unreachable = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Host = "127.0.0.1", Port = 9, Timeout = 2 }.ConnectionString;
        await using var server = await TestServer.StartAsync(unreachable);
        using var client = server.CreateClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unavailable", body.GetProperty("database").GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("database").GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Links_start_with_PublicBaseUrl_when_it_is_set()
    {
        await using var server = await TestServer.StartAsync(db.ConnectionString,
            new Dictionary<string, string?> { ["Paju:PublicBaseUrl"] = "https://gis.paju.go.kr/field/" });
        using var client = server.CreateClient();

        var landing = await client.GetFromJsonAsync<JsonElement>("/api");

        var hrefs = landing.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("href").GetString()!).ToList();
        Assert.NotEmpty(hrefs);
        Assert.All(hrefs, href => Assert.StartsWith("https://gis.paju.go.kr/field/", href));
        Assert.Contains("https://gis.paju.go.kr/field/health", hrefs);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_links_follow_the_forwarded_host_and_scheme()
    {
        await using var server = await TestServer.StartAsync(db.ConnectionString);
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "safety.paju.go.kr");

        var response = await client.SendAsync(request);
        var landing = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("https://safety.paju.go.kr/api", landing.GetProperty("links")[0].GetProperty("href").GetString());
    }

    [Fact]
    public async Task An_invalid_PublicBaseUrl_stops_the_server_with_a_clear_message()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(db.ConnectionString,
            new Dictionary<string, string?> { ["Paju:PublicBaseUrl"] = "gis.paju.go.kr" }));
        Assert.Contains("PublicBaseUrl must be an absolute http(s) address", error.Message);
    }

    [Theory]
    [InlineData("Paju:Tiles:CacheMegabytes", "0")]
    [InlineData("Paju:Live:HeartbeatSeconds", "-1")]
    [InlineData("Paju:Alarms:EvaluateSeconds", "-5")]
    [InlineData("Paju:Alarms:Escalation:WebhookUrl", "gateway.paju.local")]
    [InlineData("Paju:Ingest:BatchSize", "0")]
    [InlineData("Paju:Mqtt:Subscription", "everything")]
    public async Task A_wrong_value_in_any_section_stops_the_server_naming_its_section(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(db.ConnectionString,
            new Dictionary<string, string?> { [key] = value }));
        var section = key[..key.LastIndexOf(':')];
        Assert.Contains(section + ":", error.Message);
    }

    [Fact]
    public async Task Korean_text_is_sent_as_UTF_8_not_escaped()
    {
        await using var server = await TestServer.StartAsync(db.ConnectionString);
        using var client = server.CreateClient();
        var raw = await client.GetStringAsync("/api");
        Assert.Contains("파주 현장안전", raw);
    }
}
