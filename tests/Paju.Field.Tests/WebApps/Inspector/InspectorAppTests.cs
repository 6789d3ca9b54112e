using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Playwright;
using Paju.Field.Tests.Harness;
using static Paju.Field.Tests.WebApps.Inspector.InspectorAppFixture;

namespace Paju.Field.Tests.WebApps.Inspector;

/// <summary>The inspector app on a 360×800 phone: the plate's URL, what is due nearby, the checklist, and an outbox that loses nothing.</summary>
public sealed class InspectorAppTests(InspectorAppFixture f, Browser browser) : IClassFixture<InspectorAppFixture>
{
    [Fact]
    public async Task A_plates_URL_opens_its_asset_in_the_app_and_the_check_in_is_verified()
    {
        await using var session = await f.OpenAppAsync(browser);

        await session.GotoAsync(new Uri(f.PlateUrl("PG-A1")).PathAndQuery);
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 1");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "이 표지로 체크인" }).ClickAsync();

        await Assertions.Expect(session.Page.Locator("#checkin-state")).ToContainTextAsync("체크인 확인됨");
        await Assertions.Expect(session.Page.Locator("#checkin-state")).ToContainTextAsync("표지의 서명을 확인했습니다");
        // What the phone measured, beside the verdict: the distance to the playground and how sure the position is.
        await Assertions.Expect(session.Page.GetByText(new System.Text.RegularExpressions.Regex(@"^시설까지 약 \d+ m, 위치 정확도 ±8 m$"))).ToBeVisibleAsync();
        await session.CheckScreenAsync("checked-in");
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("""
            SELECT count(*) FROM checkin c JOIN tag t ON t.id = c.tag_id JOIN asset a ON a.id = c.asset_id
            WHERE a.code = 'PG-A1' AND c.method = 'url' AND c.proof = 'signature' AND c.status = 'verified' AND c.url LIKE '%?s=%'
            """));
    }

    [Fact]
    public async Task What_is_due_nearby_comes_first_from_the_phones_position()
    {
        await using var session = await f.OpenAppAsync(browser);
        await session.PlaceAtAsync(InspectorAppFixture.Lat, InspectorAppFixture.Lon + 4 * 0.00125, 6); // at PG-A5

        await session.Page.ReloadAsync();
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "현재 위치 기준" })).ToBeVisibleAsync();
        var first = session.Page.Locator("#assets li").First;

        await Assertions.Expect(first).ToContainTextAsync("앱 시험 놀이터 5");
        await Assertions.Expect(first).ToContainTextAsync("월 점검 할 일");
        await Assertions.Expect(session.Page.Locator("#assets li").Nth(1)).ToContainTextAsync("앱 시험 놀이터 4");
        await session.CheckScreenAsync("nearby");
        await session.Page.GetByLabel("시설 찾기").FillAsync("PG-A2");
        await Assertions.Expect(session.Page.Locator("#assets li")).ToHaveCountAsync(1);
        // By its name too, in Korean.
        await session.Page.GetByLabel("시설 찾기").FillAsync("놀이터 3");
        await Assertions.Expect(session.Page.Locator("#assets li")).ToHaveCountAsync(1);
        await Assertions.Expect(session.Page.Locator("#assets li").First).ToContainTextAsync("앱 시험 놀이터 3");
    }

    [Fact]
    public async Task Three_inspections_with_photos_queued_offline_survive_a_reload_and_are_stored_once_each_when_back_online()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        var codes = new[] { "PG-A2", "PG-A3", "PG-A4" };
        await using (await session.ExpectFailures("request failed", "ERR_INTERNET_DISCONNECTED"))
        {
            await session.SetOfflineAsync(true);
            for (var i = 0; i < codes.Length; i++)
            {
                await page.EvaluateAsync($"location.hash = '#/inspect/playground/{codes[i]}/playground-monthly'");
                await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("어린이놀이시설 월 안전점검");
                await FillMonthlyAsync(page);
                await page.GetByLabel("사진 더하기").SetInputFilesAsync(Photo($"photo-{i}.jpg", TestPhotos.Jpeg(120_000, seed: 100 + i)));
                if (i == 0)
                {
                    await session.CheckScreenAsync("checklist");
                }
                await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
                await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "보관함" })).ToBeVisibleAsync();
            }
            await Assertions.Expect(page.Locator("#outbox-count")).ToHaveTextAsync("3");
            await Assertions.Expect(page.Locator("#outbox li[data-state=waiting]")).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator("#outbox li[data-state=waiting] .state").First).ToHaveTextAsync("대기");
            await session.CheckScreenAsync("outbox-offline");

            // The app is closed and opened again with no signal: the shell comes from the service worker, the outbox from the phone.
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "보관함" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#outbox-count")).ToHaveTextAsync("3");
            Assert.Equal(0L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code IN ('PG-A2', 'PG-A3', 'PG-A4')"));
            await session.SetOfflineAsync(false);
        }
        await page.EvaluateAsync("window.dispatchEvent(new Event('online'))");

        await Assertions.Expect(page.Locator("#outbox li[data-state=done]")).ToHaveCountAsync(3, new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#outbox .receipt")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#outbox-count")).ToHaveTextAsync("0");
        await session.CheckScreenAsync("outbox-sent");
        var receiptsOnScreen = await page.Locator("#outbox .receipt").AllInnerTextsAsync();
        Assert.All(receiptsOnScreen, r => Assert.Matches(@"접수번호 P-\d{8}-\d{5}", r));
        Assert.Equal(3L, await f.Db.ScalarAsync<long>("""
            SELECT count(*) FROM inspection i JOIN asset a ON a.id = i.asset_id
            WHERE a.code IN ('PG-A2', 'PG-A3', 'PG-A4') AND i.photos_expected = 1 AND i.photos_received = 1
            """));
        var stored = (await f.Db.ScalarAsync<string[]>(
            "SELECT array_agg(i.receipt ORDER BY i.receipt) FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code IN ('PG-A2', 'PG-A3', 'PG-A4')")).Order();
        Assert.Equal(stored, receiptsOnScreen.Select(r => r.Replace("접수번호 ", "")).Order());
    }

    [Fact]
    public async Task A_photo_cut_in_its_second_chunk_resumes_from_the_servers_offset()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        // Under 500 KB and 1600 px: the phone sends it as it is (two chunks), so the bytes are known here.
        var bytes = TestPhotos.Jpeg(450_000, seed: 300);
        Assert.InRange(bytes.Length, 262_145, 500 * 1024);
        var ranges = new List<string>();
        var chunks = 0;
        await page.RouteAsync("**/api/inspections/*/photos/*", async route =>
        {
            if (route.Request.Method == "PUT")
            {
                ranges.Add(route.Request.Headers["content-range"]);
                if (Interlocked.Increment(ref chunks) == 2)
                {
                    await route.AbortAsync("connectionreset"); // the signal drops during the second chunk
                    return;
                }
            }
            await route.ContinueAsync();
        });
        await page.EvaluateAsync("location.hash = '#/inspect/playground/PG-A6/playground-monthly'");
        await FillMonthlyAsync(page);
        await page.GetByLabel("사진 더하기").SetInputFilesAsync(Photo("big.jpg", bytes));

        // The cut chunk fails in the browser, as it would on the street.
        await using (await session.ExpectFailures("request failed", "ERR_CONNECTION_RESET"))
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
            await Assertions.Expect(page.Locator("#outbox li").First).ToContainTextAsync("서버에 연결할 수 없습니다");
            await Assertions.Expect(page.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "waiting");
            await session.CheckScreenAsync("outbox-waiting");
            await page.GetByRole(AriaRole.Button, new() { Name = "지금 보내기" }).ClickAsync();
            await Assertions.Expect(page.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "done");
            await session.SettleAsync();
        }
        var second = $"bytes 262144-{bytes.Length - 1}/{bytes.Length}";
        Assert.Equal(["bytes 0-262143/" + bytes.Length, second, second], ranges);
        var id = await f.Db.ScalarAsync<Guid>("SELECT i.id FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code = 'PG-A6' ORDER BY i.received_at DESC LIMIT 1");
        var sha = await f.Db.ScalarAsync<byte[]>("SELECT sha256 FROM inspection_photo WHERE inspection_id = $1 AND received_at IS NOT NULL", id);
        Assert.Equal(SHA256.HashData(bytes), sha);
    }

    [Fact]
    public async Task A_409_shows_both_versions_and_a_file_that_is_no_photo_is_refused_in_Korean()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        await page.EvaluateAsync("location.hash = '#/inspect/playground/PG-A1/playground-monthly'");
        await FillMonthlyAsync(page);
        var huge = new byte[11 * 1024 * 1024];
        "\xFF\xD8\xFF"u8.ToArray().CopyTo(huge, 0);
        await page.GetByLabel("사진 더하기").SetInputFilesAsync(Photo("huge.jpg", huge));
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#form-errors")).ToContainTextAsync("huge.jpg: 사진으로 읽을 수 없는 파일입니다");
        await session.CheckScreenAsync("photo-unreadable");

        await page.GetByLabel("사진 더하기").SetInputFilesAsync(Array.Empty<FilePayload>());
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "done");

        // The phone's copy of a sent inspection changes (a second device, a restored backup) and is sent again under the same id.
        await using (await session.ExpectFailures("HTTP 409", "status of 409"))
        {
            await page.EvaluateAsync("""
                async () => {
                  const db = await new Promise((ok, fail) => { const r = indexedDB.open('paju-inspector'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
                  const items = await new Promise(ok => { const r = db.transaction('outbox').objectStore('outbox').getAll(); r.onsuccess = () => ok(r.result); });
                  const item = items.find(i => i.kind === 'inspection');
                  item.body.notes = '다른 내용'; item.result = null; item.state = 'waiting';
                  await new Promise(ok => { const t = db.transaction('outbox', 'readwrite'); t.objectStore('outbox').put(item); t.oncomplete = ok; });
                }
                """);
            await page.GetByRole(AriaRole.Button, new() { Name = "지금 보내기" }).ClickAsync();
            await Assertions.Expect(page.Locator("#outbox li[data-state=error]")).ToHaveCountAsync(1);
            var error = page.Locator("#outbox li[data-state=error]");
            await Assertions.Expect(error).ToContainTextAsync("같은 id 로 다른 내용의 점검이 이미 접수되었습니다");
            await Assertions.Expect(error).ToContainTextAsync("서버에 있는 것: 접수번호 P-");
            await Assertions.Expect(error).ToContainTextAsync("이 휴대폰이 보낸 것: SHA-256");
            await session.CheckScreenAsync("conflict");
            await session.SettleAsync();
        }
        // Unsent data is never dropped without asking.
        page.Dialog += async (_, dialog) => await dialog.DismissAsync();
        await page.Locator("#outbox li[data-state=error]").GetByRole(AriaRole.Button, new() { Name = "지우기" }).ClickAsync();
        await Assertions.Expect(page.Locator("#outbox li[data-state=error]")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task After_one_online_load_the_app_starts_with_no_network()
    {
        await using var session = await f.OpenAppAsync(browser);
        await using (await session.ExpectFailures("request failed", "ERR_INTERNET_DISCONNECTED"))
        {
            await session.SetOfflineAsync(true);
            var page = await session.Context.NewPageAsync();
            await page.GotoAsync("/inspector/");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "가까운 점검 대상" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#network")).ToHaveTextAsync("오프라인");
            await Assertions.Expect(page.Locator("#assets li")).ToHaveCountAsync(6);
            await page.GotoAsync(new Uri(f.PlateUrl("PG-A3")).PathAndQuery); // a plate, offline: the app opens on its asset
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 3");
            await page.CloseAsync();
            await session.SetOfflineAsync(false);
        }
    }

    [Fact]
    public async Task Far_from_the_asset_the_app_warns_before_checking_in_and_a_plate_page_offers_the_app()
    {
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall);
        var page = session.Page;
        await session.PlaceAtAsync(InspectorAppFixture.Lat + 0.0027, InspectorAppFixture.Lon, 10); // about 300 m north of PG-A1
        await session.GotoAsync("/login");
        await page.GetByLabel("아이디").FillAsync(InspectorAppFixture.Username);
        await page.GetByLabel("비밀번호").FillAsync(InspectorAppFixture.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();
        await page.WaitForURLAsync("**/inspector/**");

        // An iPhone's Safari opens the plate itself, outside the app: the plate's page offers the way in, keeping the signature.
        await page.EvaluateAsync("() => navigator.serviceWorker.getRegistrations().then(rs => Promise.all(rs.map(r => r.unregister())))");
        await session.GotoAsync(new Uri(f.PlateUrl("PG-A1")).PathAndQuery);
        await page.GetByRole(AriaRole.Link, new() { Name = "점검 앱에서 열기" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 1");

        await page.GetByRole(AriaRole.Button, new() { Name = "이 표지로 체크인" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("시설에서 너무 멉니다");
        await session.CheckScreenAsync("far-warning");
        Assert.Equal(0L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM checkin c JOIN asset a ON a.id = c.asset_id WHERE a.code = 'PG-A1' AND 'too_far' = ANY (c.flags)"));
        await page.GetByRole(AriaRole.Button, new() { Name = "그래도 체크인" }).ClickAsync();

        await Assertions.Expect(page.Locator("#checkin-state")).ToContainTextAsync("체크인 확인 필요");
        await Assertions.Expect(page.Locator("#checkin-state")).ToContainTextAsync("시설에서 너무 멉니다");
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM checkin c JOIN asset a ON a.id = c.asset_id WHERE a.code = 'PG-A1' AND 'too_far' = ANY (c.flags) AND c.proof = 'signature'"));

        // Inspect resting on that check-in, then find the 접수번호 among the receipts.
        await page.GetByRole(AriaRole.Link, new() { Name = "점검 시작" }).First.ClickAsync();
        await FillMonthlyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "done");
        await page.GetByRole(AriaRole.Link, new() { Name = "접수증" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "접수증" })).ToBeVisibleAsync();
        var receipt = await f.Db.ScalarAsync<string>("""
            SELECT i.receipt FROM inspection i JOIN checkin c ON c.id = i.checkin_id JOIN asset a ON a.id = i.asset_id
            WHERE a.code = 'PG-A1' AND 'too_far' = ANY (c.flags)
            """);
        await Assertions.Expect(page.GetByText(receipt)).ToBeVisibleAsync();
        await session.CheckScreenAsync("receipts");
    }

    [Fact]
    public async Task On_an_iPhone_outside_the_home_screen_the_app_asks_to_be_added_and_it_asks_to_keep_its_storage()
    {
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall);
        // Safari on an iPhone, not started from the home screen; and a record of the app asking for persistent storage.
        await session.InjectAsync("""
            Object.defineProperty(navigator, 'userAgent', { get: () => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' });
            Object.defineProperty(navigator, 'standalone', { get: () => false });
            if (navigator.storage) navigator.storage.persist = () => { window.__persistAsked = true; return Promise.resolve(true); };
            """);
        await session.GotoAsync("/login?next=%2Finspector%2F");
        await session.Page.GetByLabel("아이디").FillAsync(InspectorAppFixture.Username);
        await session.Page.GetByLabel("비밀번호").FillAsync(InspectorAppFixture.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();

        await Assertions.Expect(session.Page.Locator("#banner")).ToContainTextAsync("홈 화면에 추가");
        await Assertions.Expect(session.Page.Locator("#banner")).ToContainTextAsync("7일");
        Assert.True(await session.Page.EvaluateAsync<bool>("() => window.__persistAsked === true"));
        await session.CheckScreenAsync("ios-add-to-home-screen");
    }
}
