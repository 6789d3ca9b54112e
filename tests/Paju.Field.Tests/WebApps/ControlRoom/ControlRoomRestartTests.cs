using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Seeding;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.WebApps.ControlRoom;

/// <summary>
/// The server restarted under an open room: the room says the feed is lost and how old its data is, then resumes by
/// Last-Event-ID when the server is back — and an alarm raised in the gap (by another server of the cluster, here
/// written straight to the event log) is in the table without a reload.
/// </summary>
public sealed class ControlRoomRestartTests(PostgisServer postgis, Browser browser) : IAsyncLifetime
{
    private readonly TestDatabase _db = new(postgis);
    private readonly string _data = TempDirectory.Create("paju-room-restart-");
    private readonly int _port = MqttDevice.FreePort();
    private TestServer? _server;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        await SampleSeeder.SeedAsync(_db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        await using (var conn = await _db.DataSource.OpenConnectionAsync())
        {
            await UserStore.CreateAsync(conn, null, ControlRoomFixture.Username, "한상황", Roles.Operator, ControlRoomFixture.Password, default);
        }
        var device = (await TestDevices.AddAsync(_db.DataSource, ControlRoomFixture.Device, ControlRoomFixture.Site)).Device.Id;
        await _db.ExecuteAsync("""
            UPDATE device SET asset_id = (SELECT id FROM asset WHERE code = 'ULGOK-PS1') WHERE id = $1;
            """, device);
        await _db.ExecuteAsync("""
            INSERT INTO alarm_rule (code, device, asset_id, kind, priority, message_ko)
            SELECT 'ROOM-GAP-OFFLINE', d.id, d.asset_id, 'offline', 2, '울곡 배수펌프장 통신 두절 (재시작 중 발생)' FROM device d WHERE d.id = $1
            """, device);
        _server = await StartAsync();
    }

    /// <summary>The same port and data directory each time (its keys keep the room's sign-in valid across the restart).</summary>
    private Task<TestServer> StartAsync() => TestServer.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
    {
        ["Paju:Http"] = $"127.0.0.1:{_port}",
        ["Paju:DataDirectory"] = _data,
        ["Paju:Live:HeartbeatSeconds"] = "1",
    });

    [Fact]
    public async Task The_room_says_the_feed_is_lost_and_resumes_with_the_alarm_raised_in_the_gap()
    {
        await using var session = await WebSession.OpenAsync(browser, _server!.BaseAddress, Viewport.Wall);
        var page = session.Page;
        await session.GotoAsync("/login");
        await page.GetByLabel("아이디").FillAsync(ControlRoomFixture.Username);
        await page.GetByLabel("비밀번호").FillAsync(ControlRoomFixture.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
        await Assertions.Expect(page.Locator("#feed-state")).ToHaveTextAsync("실시간 연결됨");
        await session.SettleAsync();

        await using (await session.ExpectFailures("ERR_CONNECTION_REFUSED", "request failed", "ERR_EMPTY_RESPONSE", "ERR_CONNECTION_RESET", "/api/live"))
        {
            await _server.DisposeAsync();
            _server = null;
            await Assertions.Expect(page.Locator("#feed-state")).ToContainTextAsync("연결 끊김 — 마지막 자료", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#feed-state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"마지막 자료 [0-9]+초 전"));
            await session.CheckScreenAsync("feed-lost");

            // Raised meanwhile by another server of the cluster: the alarm row and its event in the feed's log.
            await _db.ExecuteAsync("""
                WITH raised AS (
                    INSERT INTO alarm (rule_id, priority, raised_at)
                    SELECT id, 2, now() FROM alarm_rule WHERE code = 'ROOM-GAP-OFFLINE' RETURNING id)
                SELECT live_event_append('alarm.raised', jsonb_build_object('alarm', r.id, 'rule', 'ROOM-GAP-OFFLINE', 'priority', 2,
                           'message', '울곡 배수펌프장 통신 두절 (재시작 중 발생)', 'at', now(), 'value', NULL, 'by', 'system:alarms', 'detail', NULL))
                FROM raised r
                """);

            _server = await StartAsync();
            await Assertions.Expect(page.Locator("#feed-state")).ToHaveTextAsync("실시간 연결됨", new() { Timeout = 60_000 });
        }
        var row = page.Locator("#alarm-rows tr", new() { HasText = "울곡 배수펌프장 통신 두절 (재시작 중 발생)" });
        await Assertions.Expect(row).ToContainTextAsync("미확인");
        await Assertions.Expect(page.Locator("#new-alarm")).ToContainTextAsync("재시작 중 발생");
        await session.CheckScreenAsync("resumed");
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        Npgsql.NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
