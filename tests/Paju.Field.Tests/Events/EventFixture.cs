using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Paju.Field.Server.Accounts;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Events;

/// <summary>
/// The people of an event's review, each with a token: the organising department's staff (문화예술과), another department's
/// (관광과), the Safety Management Division's two (one repairs, the other confirms), committee members from the fire
/// service and the police, an administrator and a viewer; and the server.
/// </summary>
public sealed class EventFixture(PostgisServer server) : IAsyncLifetime
{
    public const double Lat = 37.7599, Lon = 126.7802;   // 금촌, inside Paju

    public TestDatabase Db { get; } = new(server);

    public TestServer Server { get; private set; } = null!;

    private readonly Dictionary<string, string> _tokens = [];

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            foreach (var (name, role, department) in new[]
            {
                ("culture.kim", Roles.Inspector, "culture"), ("tourism.lee", Roles.Operator, "tourism"),
                ("safety.park", Roles.Inspector, "safety"), ("safety.choi", Roles.Operator, "safety"),
                ("fire.jung", Roles.Committee, (string?)null), ("police.oh", Roles.Committee, null),
                ("admin.han", Roles.Admin, null), ("viewer.seo", Roles.Viewer, null),
            })
            {
                var user = await UserStore.CreateAsync(conn, tx, name, name, role, "correct-horse-42", default, department: department);
                _tokens[name] = (await ApiTokens.IssueAsync(conn, tx, user.Id, "test", TimeSpan.FromHours(2), default)).Token;
            }
            await tx.CommitAsync();
        }
        Server = await TestServer.StartAsync(Db.ConnectionString);
    }

    public HttpClient Client(string user)
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens[user]);
        return client;
    }

    /// <summary>An event as its department registers it; a point venue unless a polygon is given.</summary>
    public static Dictionary<string, object?> Event(string name, DateTimeOffset startsAt, int people, object? facts = null, object? venue = null,
        double hours = 6) => new()
        {
            ["name"] = name,
            ["startsAt"] = startsAt.ToString("yyyy-MM-dd'T'HH:mm:sszzz"),
            ["endsAt"] = startsAt.AddHours(hours).ToString("yyyy-MM-dd'T'HH:mm:sszzz"),
            ["venue"] = venue ?? new { type = "Point", coordinates = new[] { Lon, Lat } },
            ["address"] = "경기도 파주시 금촌동",
            ["expectedAttendance"] = people,
            ["facts"] = facts ?? new { temporary_structures = true },
        };

    public async Task<(int Status, JsonElement Body)> SendAsync(string user, HttpMethod method, string path, object? body = null)
    {
        using var client = Client(user);
        using var request = new HttpRequestMessage(method, path);
        if (body is string text)
        {
            request.Content = new StringContent(text, System.Text.Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        using var response = await client.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, answer.Length == 0 ? default : JsonDocument.Parse(answer).RootElement.Clone());
    }

    public Task<(int Status, JsonElement Body)> PostAsync(string user, string path, object? body = null) => SendAsync(user, HttpMethod.Post, path, body ?? new { });

    /// <summary>Registered by the organising department; the code it was given.</summary>
    public async Task<string> RegisterAsync(Dictionary<string, object?> body, string user = "culture.kim")
    {
        var (status, answer) = await PostAsync(user, "/api/events", body);
        Assert.True(status == 201, $"{status}: {answer}");
        return answer.GetProperty("code").GetString()!;
    }

    /// <summary>The joint inspection as the app files it: every item 예 but those given as 아니오.</summary>
    public static Dictionary<string, object?> JointInspection(string code, params string[] failed)
    {
        string[] items = ["plan_followed", "exits", "structures", "electric_gas", "fire_equipment", "safety_staff", "medical", "crowd"];
        var now = DateTimeOffset.UtcNow;
        return new()
        {
            ["program"] = "event-joint",
            ["programVersion"] = 1,
            ["subject"] = new { kind = "event", code },
            ["answers"] = items.ToDictionary(i => i, i => (object)!failed.Contains(i)),
            ["grade"] = failed.Length == 0 ? "적정" : "보완 필요",
            ["notes"] = failed.Length == 0 ? "이상 없음" : "통제선 보강 필요",
            ["position"] = new { lat = Lat, lon = Lon },
            ["accuracy"] = 8.0,
            ["startedAt"] = now.AddMinutes(-40).ToString("o"),
            ["finishedAt"] = now.AddMinutes(-2).ToString("o"),
            ["photos"] = Array.Empty<object>(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Db.DisposeAsync();
    }
}
