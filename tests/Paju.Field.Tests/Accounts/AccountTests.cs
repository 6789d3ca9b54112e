using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Accounts;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Accounts;

/// <summary>Roles, password hashing, cookies and bearer tokens, 401/403, and the audit of every write.</summary>
public sealed class AccountTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string AdminPassword = "관리자-비밀번호-2025";
    private const string ViewerPassword = "viewer-password-2025";
    private TestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(db.ConnectionString);
        await using var conn = await db.DataSource.OpenConnectionAsync();
        foreach (var (name, role, password) in new[] { ("admin", Roles.Admin, AdminPassword), ("viewer", Roles.Viewer, ViewerPassword) })
        {
            if (await UserStore.FindAsync(conn, null, name, default) is null)
            {
                await UserStore.CreateAsync(conn, null, name, name, role, password, default);
            }
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Passwords_are_stored_as_PBKDF2_hashes_in_Identity_v3_format()
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        var hash = await UserStore.PasswordHashAsync(conn, "admin", default);

        Assert.NotNull(hash);
        Assert.DoesNotContain(AdminPassword, hash);
        var bytes = Convert.FromBase64String(hash);
        Assert.Equal(0x01, bytes[0]);                                             // format marker: v3
        Assert.Equal(2u, BinaryPrimitivesReadUInt32BigEndian(bytes, 1));         // PRF: HMAC-SHA512
        Assert.True(BinaryPrimitivesReadUInt32BigEndian(bytes, 5) >= 100_000);    // iterations
    }

    [Fact]
    public async Task Anonymous_requests_to_a_restricted_endpoint_get_401_with_a_problem_body()
    {
        using var client = _server.CreateClient();
        var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_signed_in_user_without_the_role_gets_403()
    {
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, "viewer", ViewerPassword));

        var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_cookie_from_login_signs_in_a_web_page()
    {
        using var client = _server.CreateClient();
        var login = await client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = AdminPassword });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("paju.session=") && c.Contains("httponly"));

        var me = await client.GetFromJsonAsync<JsonElement>("/api/auth/me");
        Assert.Equal("admin", me.GetProperty("username").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/users")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_gets_401_and_is_audited()
    {
        using var client = _server.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "wrong-password" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("올바르지 않습니다", await response.Content.ReadAsStringAsync());
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND entity_id = 'admin'") >= 1);
    }

    [Fact]
    public async Task A_bearer_token_works_until_it_is_revoked_by_logout()
    {
        using var client = _server.CreateClient(new HttpClientHandler { UseCookies = false });
        var token = await TokenAsync(client, "admin", AdminPassword);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/users")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/auth/logout", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/users")).StatusCode);
    }

    [Fact]
    public async Task A_made_up_token_is_refused()
    {
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "pf_made-up-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task Creating_a_user_is_audited_with_who_what_when_and_from_where()
    {
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, "admin", AdminPassword));

        var response = await client.PostAsJsonAsync("/api/users",
            new { username = "inspector.kim", displayName = "김점검", role = "inspector", password = "inspector-pass-1" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await using var cmd = db.DataSource.CreateCommand("""
            SELECT actor, via, remote_addr, detail->>'Role', at > now() - interval '1 minute'
            FROM audit_log WHERE action = 'user.create' AND entity_id = 'inspector.kim'
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("admin", reader.GetString(0));
        Assert.Equal("api", reader.GetString(1));
        Assert.Equal("127.0.0.1", reader.GetString(2));
        Assert.Equal("inspector", reader.GetString(3));
        Assert.True(reader.GetBoolean(4));
    }

    [Fact]
    public async Task An_invalid_new_user_gets_400_with_a_reason_and_nothing_is_written()
    {
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, "admin", AdminPassword));

        var response = await client.PostAsJsonAsync("/api/users", new { username = "short-pw", role = "viewer", password = "123" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("10자 이상", await response.Content.ReadAsStringAsync());
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM app_user WHERE username = 'short-pw'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE entity_id = 'short-pw' AND action = 'user.create'"));
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in()
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await UserStore.CreateAsync(conn, null, "leaver", "퇴직자", Roles.Operator, "leaver-password-1", default);
        await db.ExecuteAsync("UPDATE app_user SET disabled_at = now() WHERE username = 'leaver'");

        using var client = _server.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { username = "leaver", password = "leaver-password-1" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<string> TokenAsync(HttpClient client, string username, string password)
    {
        var response = await client.PostAsJsonAsync("/api/auth/token", new { username, password, label = "test" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("token").GetString()!;
    }

    private static uint BinaryPrimitivesReadUInt32BigEndian(byte[] bytes, int offset) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset, 4));
}
