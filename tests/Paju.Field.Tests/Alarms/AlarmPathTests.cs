using System.Net;
using System.Net.Http.Json;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Live;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Alarms;

/// <summary>
/// The alarm path end to end, as `./paju demo --scenario typhoon` runs it: the plant simulated as Modbus
/// controllers, the bridge, the embedded broker, ingest, the real evaluator loop and the live feed — a
/// real alarm reaches an operator's stream, kept alive by heartbeats; a viewer may not listen.
/// </summary>
public sealed class AlarmPathTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task The_typhoon_demo_raises_a_real_alarm_on_the_operators_live_feed()
    {
        await using (var conn = await db.DataSource.OpenConnectionAsync())
        {
            await UserStore.CreateAsync(conn, null, "viewer1", "열람자", Roles.Viewer, "viewer-password-1", default);
        }
        var data = TempDirectory.Create("paju-typhoon-");
        var http = MqttDevice.FreePort();
        // 600×: the typhoon's pump fault (2.5 h in) comes within seconds; heartbeats twice a second.
        await using var demo = await ServerProcess.StartAsync(db.ConnectionString, http, MqttDevice.FreePort(), data, "demo",
            ["--scenario", "typhoon", "--speed", "600"], new Dictionary<string, string> { ["Paju__Live__HeartbeatSeconds"] = "0.5" });
        var baseAddress = new Uri($"http://127.0.0.1:{http}");
        using var operatorClient = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var password = (await File.ReadAllTextAsync(Path.Combine(data, "demo-login.txt"))).Trim();
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsJsonAsync("/api/auth/login", new { username = "demo", password })).StatusCode);

        using var viewerClient = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = baseAddress };
        Assert.Equal(HttpStatusCode.OK, (await viewerClient.PostAsJsonAsync("/api/auth/login", new { username = "viewer1", password = "viewer-password-1" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewerClient.GetAsync("/api/live")).StatusCode);

        using var response = await operatorClient.GetAsync("/api/live", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var stream = new SseReader(await response.Content.ReadAsStreamAsync());
        var deadline = DateTime.UtcNow.AddMinutes(3);
        SseReader.Event? raised = null;
        while (raised is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no alarm raised within 3 minutes of the typhoon demo:\n{demo.Output}");
            var next = await stream.NextAsync(TimeSpan.FromMinutes(1));
            if (next.Type == LiveEventTypes.AlarmRaised && next.Data.Contains("ULGOK-PS1-PUMP2-FAULT", StringComparison.Ordinal))
            {
                raised = next;
            }
        }
        Assert.Contains("2호기 고장", raised.Data);
        Assert.True(stream.Heartbeats > 0, "the live feed sent no heartbeat while it was open");
        Assert.Equal(1L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM alarm a JOIN alarm_rule r ON r.id = a.rule_id WHERE r.code = 'ULGOK-PS1-PUMP2-FAULT' AND a.cleared_at IS NULL
            """));
    }
}
