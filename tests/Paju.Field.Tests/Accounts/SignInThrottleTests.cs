using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MQTTnet;
using Paju.Field.Server.Accounts;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Accounts;

/// <summary>
/// Guessing is slowed down and then locked out — per account, per address and per MQTT device — and the
/// person is told in Korean how long to wait; an administrator can lift a lock. (Before: 30 wrong
/// passwords in a row answered 401 at full speed, then the right one signed in.)
/// </summary>
public sealed class SignInThrottleTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private const string Password = "right-password-1";

    private async Task<TestServer> StartAsync(Dictionary<string, string?> signIn, params string[] users)
    {
        // Every request here comes from 127.0.0.1: each test starts with that address's record clean.
        await db.ExecuteAsync("DELETE FROM sign_in_throttle");
        await using (var conn = await db.DataSource.OpenConnectionAsync())
        {
            foreach (var user in users)
            {
                await UserStore.CreateAsync(conn, null, user, user, Roles.Admin, Password, default);
            }
        }
        return await TestServer.StartAsync(db.ConnectionString, signIn);
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string user, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new { username = user, password });

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    [Fact]
    public async Task After_a_few_failures_even_the_right_password_must_wait_and_is_told_how_long()
    {
        await using var server = await StartAsync(new() { ["Paju:SignIn:AccountFreeFailures"] = "2", ["Paju:SignIn:MaxDelaySeconds"] = "30" }, "slowed1");
        using var client = server.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, "slowed1", "guess-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, "slowed1", "guess-2")).StatusCode);
        using var slowed = await LoginAsync(client, "slowed1", Password);

        Assert.Equal(HttpStatusCode.TooManyRequests, slowed.StatusCode);
        Assert.True(slowed.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Matches("로그인 실패가 많습니다\\. \\d+초 뒤에 다시 시도하세요\\.", await DetailAsync(slowed));
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'login.throttled' AND entity_id = 'slowed1'") >= 1);
    }

    [Fact]
    public async Task Many_failures_lock_the_account_until_an_administrator_lifts_it()
    {
        await using var server = await StartAsync(new() { ["Paju:SignIn:AccountFreeFailures"] = "100", ["Paju:SignIn:AccountLockAfter"] = "5" }, "locked1", "keeper1");
        using var client = server.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, "locked1", $"guess-{i}")).StatusCode);
        }

        using var locked = await LoginAsync(client, "locked1", Password);
        Assert.Equal(HttpStatusCode.Locked, locked.StatusCode);
        Assert.Contains("잠겼습니다", await DetailAsync(locked));
        Assert.Contains("관리자가 바로 풀 수도 있습니다", await DetailAsync(locked));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'login.locked' AND entity_id = 'locked1'"));

        using var admin = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(admin, "keeper1", Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/users/locked1/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, "locked1", Password)).StatusCode);
    }

    [Fact]
    public async Task One_address_guessing_across_many_accounts_is_slowed_down_too()
    {
        await using var server = await StartAsync(new() { ["Paju:SignIn:AddressFreeFailures"] = "3", ["Paju:SignIn:MaxDelaySeconds"] = "30" }, "fresh1");
        using var client = server.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, $"nobody{i}", "guess")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(client, "fresh1", Password)).StatusCode);
    }

    [Fact]
    public async Task A_device_guessing_its_secret_is_locked_out_of_the_broker_until_unlocked()
    {
        var port = MqttDevice.FreePort();
        var secret = (await TestDevices.AddAsync(db.DataSource, "guessed-plc", "ulgok-ps1")).Secret;
        await using var server = await TestServer.StartAsync(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Mqtt:Embedded"] = "true",
            ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{port}",
            ["Paju:SignIn:DeviceFreeFailures"] = "100",
            ["Paju:SignIn:DeviceLockAfter"] = "3",
        });
        for (var i = 0; i < 3; i++)
        {
            var wrong = await Assert.ThrowsAsync<MqttConnectionRefused>(() => MqttDevice.ConnectAsync(port, "ulgok-ps1", "guessed-plc", $"guess-{i}"));
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong.Code);
        }

        var banned = await Assert.ThrowsAsync<MqttConnectionRefused>(() => MqttDevice.ConnectAsync(port, "ulgok-ps1", "guessed-plc", secret));
        Assert.Equal(MqttClientConnectResultCode.Banned, banned.Code);

        var unlock = await PajuCli.RunAsync(["device", "unlock", "guessed-plc", "--db", db.ConnectionString]);
        Assert.True(unlock.Succeeded, unlock.Explanation);
        await using var device = await MqttDevice.ConnectAsync(port, "ulgok-ps1", "guessed-plc", secret);
    }

    [Fact]
    public async Task A_write_with_the_cookie_from_another_site_even_a_sibling_subdomain_is_refused()
    {
        await using var server = await StartAsync([], "origin1");
        using var client = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, "origin1", Password)).StatusCode);

        async Task<HttpStatusCode> PostFromAsync(string? origin, string? fetchSite)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users") { Content = JsonContent.Create(new { username = "made-by-page", role = "viewer", password = "irrelevant-pw-1" }) };
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }
            if (fetchSite is not null)
            {
                request.Headers.Add("Sec-Fetch-Site", fetchSite);
            }
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Forbidden, await PostFromAsync("https://evil.example", "cross-site"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostFromAsync("https://other.paju.go.kr", "same-site"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostFromAsync("https://other.paju.go.kr", null));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM app_user WHERE username = 'made-by-page'"));
        Assert.Equal(HttpStatusCode.Created, await PostFromAsync(server.BaseAddress.GetLeftPart(UriPartial.Authority), "same-origin"));
    }
}
