using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Seeding;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.WebApps.ControlRoom;

/// <summary>
/// The sample city with its Ulgok stations behind a server with its embedded broker: the main station's controller
/// registered and mapped to its station, a priority-1 high-level rule on its basin, and an operator to sign in.
/// </summary>
public sealed class ControlRoomFixture(PostgisServer postgis) : IAsyncLifetime
{
    public const string Username = "operator.room";
    public const string Password = "room-password-42";
    public const string Site = "ulgok-ps1";
    public const string Device = "ulgok-ps1-plc";

    public TestDatabase Db { get; } = new(postgis);

    public TestServer Server { get; private set; } = null!;

    private long _boots = 1_800_000_000;

    private WebApplication _tiles = null!;
    private int _basemapRequests;

    /// <summary>Tiles the basemap server has served: the room draws the configured basemap.</summary>
    public int BasemapRequests => Volatile.Read(ref _basemapRequests);

    private Task _basemapHeld = Task.CompletedTask;
    private int _heldBasemapRequests;

    /// <summary>Tile requests that found the basemap held and are waiting for it.</summary>
    public int HeldBasemapRequests => Volatile.Read(ref _heldBasemapRequests);

    /// <summary>
    /// The basemap server stops answering (a tile server down or a proxy holding the line) until the returned scope ends:
    /// every tile request waits, as a browser's does for a host that accepted the connection and never replies.
    /// </summary>
    public IDisposable HoldBasemap()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _basemapHeld, held.Task);
        Volatile.Write(ref _heldBasemapRequests, 0);
        return new BasemapHold(() =>
        {
            Volatile.Write(ref _basemapHeld, Task.CompletedTask);
            held.TrySetResult();
        });
    }

    private sealed class BasemapHold(Action release) : IDisposable
    {
        public void Dispose() => release();
    }

    public int MqttPort { get; private set; }

    public string Secret { get; private set; } = "";

    /// <summary>Short, so a silent station turns stale within a test; long enough for a page to open after a reading.</summary>
    public const int StaleSeconds = 15;

    /// <summary>Gauges with a rule each, flood_gauge_01_m …: one reading over 10 on all of them is an alarm flood.</summary>
    public const int FloodGauges = 11;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        // The sample as the demo loads it: the city outline and its 읍면동 (public data) with the registry.
        await SampleSeeder.SeedAsync(Db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        Secret = (await TestDevices.AddAsync(Db.DataSource, Device, Site)).Secret;
        await Db.ExecuteAsync("UPDATE device SET asset_id = (SELECT id FROM asset WHERE code = 'ULGOK-PS1') WHERE device_id = $1", Device);
        await Db.ExecuteAsync("""
            INSERT INTO alarm_rule (code, device, asset_id, metric, kind, threshold, deadband, on_delay_s, window_s, priority, message_ko)
            SELECT 'ROOM-LEVEL-HIGH', d.id, d.asset_id, 'basin_level_m', 'high', 3.5, 0.1, 0, 600, 1, '울곡 유수지 수위 매우 높음 (시험)'
            FROM device d WHERE d.device_id = $1;
            """, Device);
        // A rule of no station (a gauge of its own), for the shelving test: it never colours a station.
        await AddGaugeRuleAsync("ROOM-GAUGE-HIGH", "test_gauge_m", 3, "시험 계측기 값 높음");
        // Eleven gauges of their own, for the alarm-flood test: more than 10 new alarms in 10 minutes.
        await Db.ExecuteAsync("""
            INSERT INTO alarm_rule (code, device, asset_id, metric, kind, threshold, deadband, on_delay_s, window_s, priority, message_ko)
            SELECT format('ROOM-FLOOD-%s', lpad(n::text, 2, '0')), d.id, NULL, format('flood_gauge_%s_m', lpad(n::text, 2, '0')),
                   'high', 10, 0, 0, 600, 3, format('폭주 시험 %s', lpad(n::text, 2, '0'))
            FROM device d, generate_series(1, $2) n WHERE d.device_id = $1
            """, Device, FloodGauges);
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await UserStore.CreateAsync(conn, null, Username, "한상황", Roles.Operator, Password, default);
        }
        // A basemap of its own: a tile server on another origin, as VWorld or OSM would be (CORS, PNG tiles).
        var tiles = WebApplication.CreateSlimBuilder();
        tiles.Logging.ClearProviders();
        tiles.WebHost.UseUrls("http://127.0.0.1:0");
        _tiles = tiles.Build();
        var png = BasemapTile();
        _tiles.MapGet("/{z:int}/{x:int}/{y:int}.png", async (HttpContext http) =>
        {
            var held = Volatile.Read(ref _basemapHeld);
            if (!held.IsCompleted)
            {
                Interlocked.Increment(ref _heldBasemapRequests);
                await held.WaitAsync(http.RequestAborted);
            }
            Interlocked.Increment(ref _basemapRequests);
            http.Response.Headers.AccessControlAllowOrigin = "*";
            return Results.Bytes(png, "image/png");
        });
        await _tiles.StartAsync();
        MqttPort = MqttDevice.FreePort();
        Server = await TestServer.StartAsync(Db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Mqtt:Embedded"] = "true",
            ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{MqttPort}",
            ["Paju:Live:HeartbeatSeconds"] = "1",
            ["Paju:Alarms:EvaluateSeconds"] = "1",   // the real evaluator loop, as in production
            ["Paju:ControlRoom:BasemapUrl"] = _tiles.Urls.First() + "/{z}/{x}/{y}.png",
            ["Paju:ControlRoom:BasemapAttribution"] = "시험 배경지도",
            ["Paju:ControlRoom:StaleSeconds"] = StaleSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// An alarm rule on a gauge of its own, of no station (it colours none): a reading above 10 raises it at once.
    /// A test that needs an alarm no other test can stand in for adds one.
    /// </summary>
    public Task AddGaugeRuleAsync(string code, string metric, int priority, string message) => Db.ExecuteAsync("""
        INSERT INTO alarm_rule (code, device, asset_id, metric, kind, threshold, deadband, on_delay_s, window_s, priority, message_ko)
        SELECT $2, d.id, NULL, $3, 'high', 10, 0, 0, 600, $4, $5
        FROM device d WHERE d.device_id = $1
        """, Device, code, metric, priority, message);

    /// <summary>The station's controller, connected and announced online (its birth message), as the bridge does.</summary>
    public async Task<MqttDevice> ControllerAsync()
    {
        var controller = await MqttDevice.ConnectAsync(MqttPort, Site, Device, Secret);
        controller.Boot = Interlocked.Increment(ref _boots);   // a restarted controller: its readings are new, not replays
        await controller.PublishRawAsync(Paju.Field.Telemetry.TelemetryTopic.For(Site, Device, "status"),
            new Paju.Field.Telemetry.DeviceStatus(Device, true, 1).ToJson(), retain: true);
        return controller;
    }

    /// <summary>The room's operator as an API client (a bearer token), as a phone or a script calls the server.</summary>
    public async Task<HttpClient> ApiClientAsync()
    {
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        var id = await Db.ScalarAsync<long>("SELECT id FROM app_user WHERE username = $1", Username);
        var token = await ApiTokens.IssueAsync(conn, null, id, "test", TimeSpan.FromHours(1), default);
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Token);
        return client;
    }

    /// <summary>Signed in through the login page, which lands operators in the room; by default once its map has loaded.</summary>
    public async Task<WebSession> OpenRoomAsync(Browser browser, Viewport viewport, bool waitForMap = true)
    {
        var session = await WebSession.OpenAsync(browser, Server.BaseAddress, viewport);
        await session.GotoAsync("/login");
        await session.Page.GetByLabel("아이디").FillAsync(Username);
        await session.Page.GetByLabel("비밀번호").FillAsync(Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "경보", Level = 1 })).ToBeVisibleAsync();
        // Generous: the test's Chromium shares a loaded CI machine with the server, the database and the broker.
        await Assertions.Expect(session.Page.Locator("#feed-state")).ToHaveTextAsync("실시간 연결됨", new() { Timeout = 90_000 });
        if (!waitForMap)
        {
            return session;
        }
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!await session.Page.EvaluateAsync<bool>("() => window.pajuRoom?.ready === true && window.pajuRoom.map.areTilesLoaded()"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The room's map did not load within 120 s.");
            await Task.Delay(200);
        }
        return session;
    }

    private static byte[] BasemapTile()
    {
        using var bitmap = new SkiaSharp.SKBitmap(256, 256);
        bitmap.Erase(new SkiaSharp.SKColor(0xd8, 0xe8, 0xd0));
        using var data = SkiaSharp.SKImage.FromBitmap(bitmap).Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _tiles.DisposeAsync();
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
