using System.Security.Cryptography;
using Microsoft.Playwright;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Tags;
using Paju.Field.Tags;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.WebApps.Inspector;

/// <summary>Five playgrounds along a street with QR plates, an inspector, and the server — for the app in a phone's browser.</summary>
public sealed class InspectorAppFixture(PostgisServer postgis) : IAsyncLifetime
{
    public const string Username = "inspector.field";
    public const string Password = "correct-horse-42";
    public const string BodyUsername = "body.field";
    public const double Lat = 37.7599, Lon = 126.7802;

    public TestDatabase Db { get; } = new(postgis);

    public TestServer Server { get; private set; } = null!;

    public Dictionary<string, Tag> Plates { get; } = [];

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        // PG-A1 … PG-A5, about 110 m apart going east; PG-A6 about 1 km north, for the upload test, so that no
        // test's inspection changes what another sees as due nearby whatever order they run in.
        await Db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom)
            SELECT 'playground', 'PG-A' || i, '앱 시험 놀이터 ' || i,
                   CASE WHEN i = 6 THEN ST_SetSRID(ST_MakePoint({Lon}, {Lat} + 0.01), 4326)
                        ELSE ST_SetSRID(ST_MakePoint({Lon} + (i - 1) * 0.00125, {Lat}), 4326) END
            FROM generate_series(1, 6) i
            """);
        // PG-A6 is looked after by a managing body (관리주체), whose staff inspect their own playground only.
        await Db.ExecuteAsync("""
            INSERT INTO managing_body (code, name) VALUES ('app-body', '앱시험 아파트 관리사무소');
            UPDATE asset SET managing_body_id = (SELECT id FROM managing_body WHERE code = 'app-body') WHERE code = 'PG-A6';
            """);
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await UserStore.CreateAsync(conn, null, Username, "김점검", Roles.Inspector, Password, default);
            await UserStore.CreateAsync(conn, null, BodyUsername, "박관리", Roles.ManagingBody, Password, default, managingBody: "app-body");
            var admin = await UserStore.CreateAsync(conn, null, "admin.field", "한관리", Roles.Admin, Password, default);
            _adminToken = (await ApiTokens.IssueAsync(conn, null, admin.Id, "test", TimeSpan.FromHours(2), default)).Token;
        }
        Server = await TestServer.StartAsync(Db.ConnectionString);
        var keys = new TagKeyStore(Path.Combine(Server.DataDirectory, "keys", "tags.json"));
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            for (var i = 1; i <= 6; i++)
            {
                var asset = await AssetRef.ResolveAsync(conn, tx, $"PG-A{i}", null, default);
                Plates[$"PG-A{i}"] = await TagStore.AddAsync(conn, tx, keys, asset, "qr", null, null, Actor.System("test"), default);
            }
            await tx.CommitAsync();
        }
        KeyStore = keys;
    }

    public TagKeyStore KeyStore { get; private set; } = null!;

    private string _adminToken = "";

    /// <summary>An administrator's client for the API (editing a program while a phone has the app open).</summary>
    public HttpClient AdminClient()
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _adminToken);
        return client;
    }

    public string PlateUrl(string code) => Plates[code].Url(Server.BaseAddress.ToString().TrimEnd('/'), KeyStore);

    /// <summary>A new NTAG 424 DNA plate on <paramref name="code"/> with keys of the test's own, and the tag that makes its SUN URLs.</summary>
    public async Task<SunTagEmulator> NewSunTagAsync(string code, string uid, int counter = 0)
    {
        var keys = new SunKeys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var asset = await AssetRef.ResolveAsync(conn, tx, code, null, default);
        var tag = await TagStore.AddAsync(conn, tx, KeyStore, asset, "ntag424", uid, keys, Actor.System("test"), default);
        await tx.CommitAsync();
        return new SunTagEmulator(Server.BaseAddress.ToString().TrimEnd('/'), tag.Id, keys.Meta, keys.File, uid, counter);
    }

    /// <summary>The monthly checklist filled as an inspector does: every required item 양호, and the overall grade.</summary>
    public static async Task FillMonthlyAsync(IPage page, string grade = "양호")
    {
        foreach (var item in new[] { "연결상태", "노후정도", "변형상태", "청결상태", "안전수칙 등 표시상태", "부대시설 파손상태 및 위험물질 존재 여부" })
        {
            await page.Locator("fieldset", new() { Has = page.GetByText(item + " (필수)", new() { Exact = true }) }).GetByLabel("양호").CheckAsync();
        }
        await page.Locator("fieldset", new() { Has = page.GetByText("종합 판정 (필수)") }).GetByRole(AriaRole.Radio, new() { Name = grade }).CheckAsync();
    }

    /// <summary>A photo as the file picker hands it to the page.</summary>
    public static FilePayload Photo(string name, byte[] bytes) => new() { Name = name, MimeType = "image/jpeg", Buffer = bytes };

    /// <summary>Where the playground PG-A{n} stands (PG-A1 … PG-A5 along the street, 0.00125° apart going east).</summary>
    public static (double Lat, double Lon) At(string code) => (Lat, Lon + (int.Parse(code["PG-A".Length..]) - 1) * 0.00125);

    /// <summary>
    /// A phone at the playground <paramref name="standAt"/>, signed in, with the app loaded once online and its service worker
    /// in charge — in the shared browser or <paramref name="ownBrowser"/> (a fake camera's), with <paramref name="fakes"/> injected first.
    /// </summary>
    public async Task<WebSession> OpenAppAsync(Browser browser, IBrowser? ownBrowser = null, string standAt = "PG-A1", params string[] fakes)
    {
        var session = await WebSession.OpenAsync(browser, Server.BaseAddress, Viewport.PhoneSmall, ownBrowser);
        foreach (var fake in fakes)
        {
            await session.InjectAsync(fake);
        }
        var (lat, lon) = At(standAt);
        await session.PlaceAtAsync(lat, lon, 8);
        await session.GotoAsync("/login?next=%2Finspector%2F");
        await session.Page.GetByLabel("아이디").FillAsync(Username);
        await session.Page.GetByLabel("비밀번호").FillAsync(Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
        // Committed is enough: the heading below is the app's own sign of being ready (a busy machine can hold the load event back).
        await session.Page.WaitForURLAsync("**/inspector/**", new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "가까운 점검 대상" })).ToBeVisibleAsync();
        // Polled from here: Playwright's in-page polling would compile the predicate, which the app's CSP (no eval) forbids.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await session.Page.EvaluateAsync<bool>("() => navigator.serviceWorker.controller !== null"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The service worker did not take charge of the app within 60 s.");
            await Task.Delay(100);
        }
        await session.SettleAsync();
        return session;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
