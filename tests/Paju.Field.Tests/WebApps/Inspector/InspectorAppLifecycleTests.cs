using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Paju.Field.Tests.Harness;
using static Paju.Field.Tests.WebApps.Inspector.InspectorAppFixture;

namespace Paju.Field.Tests.WebApps.Inspector;

/// <summary>
/// The app's life on a phone: installed from its manifest, its worker in charge of the plates' URLs, the outbox sending by
/// itself when the app is opened or comes back to the foreground, a photo resumed from what the server holds, and the
/// checklist following the program an administrator edited. Its own fixture: the program edit must not reach other tests.
/// </summary>
public sealed class InspectorAppLifecycleTests(InspectorAppFixture f, Browser browser) : IClassFixture<InspectorAppFixture>
{
    [Fact]
    public async Task The_app_installs_from_its_manifest_and_icons_and_its_worker_takes_the_plates_URLs_but_no_other_page()
    {
        using var http = f.Server.CreateClient();
        using var manifestResponse = await http.GetAsync("/inspector/manifest.webmanifest");
        Assert.Equal(HttpStatusCode.OK, manifestResponse.StatusCode);
        Assert.Equal("application/manifest+json", manifestResponse.Content.Headers.ContentType?.MediaType);
        var manifest = JsonNode.Parse(await manifestResponse.Content.ReadAsStringAsync())!;
        Assert.Equal("파주 현장안전 점검", manifest["name"]!.GetValue<string>());
        Assert.Equal("ko", manifest["lang"]!.GetValue<string>());
        Assert.Equal("/inspector/", manifest["start_url"]!.GetValue<string>());
        Assert.Equal("standalone", manifest["display"]!.GetValue<string>());
        var icons = manifest["icons"]!.AsArray();
        Assert.Contains(icons, i => i!["sizes"]!.GetValue<string>() == "192x192");
        Assert.Contains(icons, i => i!["sizes"]!.GetValue<string>() == "512x512");
        foreach (var icon in icons)
        {
            // Each icon is the PNG it says it is, at the size it says.
            using var response = await http.GetAsync(icon!["src"]!.GetValue<string>());
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            var png = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            var (width, height) = (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
            Assert.Equal(icon["sizes"]!.GetValue<string>(), $"{width}x{height}");
        }
        // The worker lives under /inspector/ but may take the whole site, so that a plate's /t/… URL opens the app.
        using var worker = await http.GetAsync("/inspector/sw.js");
        Assert.Equal("/", worker.Headers.GetValues("Service-Worker-Allowed").Single());

        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        Assert.Equal(f.Server.BaseAddress.ToString(), await page.EvaluateAsync<string>("() => navigator.serviceWorker.getRegistration('/').then(r => r.scope)"));
        Assert.EndsWith("/inspector/manifest.webmanifest", await page.EvaluateAsync<string>("() => document.querySelector('link[rel=manifest]').href"));

        await using (await session.ExpectFailures("request failed", "ERR_INTERNET_DISCONNECTED"))
        {
            await session.SetOfflineAsync(true);
            var offline = await session.Context.NewPageAsync();
            await offline.GotoAsync(new Uri(f.PlateUrl("PG-A2")).PathAndQuery);
            await Assertions.Expect(offline.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 2");
            // Any other page of the site is the network's: the worker does not pass the app off as the sign-in page.
            var other = await Assert.ThrowsAsync<PlaywrightException>(() => offline.GotoAsync("/login"));
            Assert.Contains("ERR_INTERNET_DISCONNECTED", other.Message);
            await offline.CloseAsync();
            await session.SetOfflineAsync(false);
        }
    }

    [Fact]
    public async Task The_outbox_sends_by_itself_when_the_app_is_opened_and_when_it_comes_back_to_the_foreground()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        await using (await session.ExpectFailures("request failed", "ERR_CONNECTION_REFUSED"))
        {
            // A dead zone the phone does not know of: it believes it is online, but the server cannot be reached.
            await page.RouteAsync("**/api/inspections/**", route => route.AbortAsync("connectionrefused"));
            await SubmitMonthlyAsync(page, "PG-A2");
            var waiting = page.Locator("#outbox li").First;
            await Assertions.Expect(waiting).ToHaveAttributeAsync("data-state", "waiting");
            await Assertions.Expect(waiting).ToContainTextAsync("대기 — 서버에 연결할 수 없습니다");
            await session.CheckScreenAsync("outbox-dead-zone");
            // Counted while the dead zone lasts: the app may try once more on its own (a sync asked for during a run),
            // and once the signal is back that try may rightly succeed before the reload below.
            Assert.Equal(0L, await CountAsync("PG-A2"));
            await page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.IgnoreErrors });
        }

        // Opened again where the server answers: what waited goes without a tap.
        var reopened = page;
        await reopened.ReloadAsync();
        await Assertions.Expect(reopened.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
        await Assertions.Expect(reopened.Locator("#outbox li").First).ToContainTextAsync("완료");
        await Assertions.Expect(reopened.Locator("#outbox .receipt").First).ToContainTextAsync("접수번호 P-");
        Assert.Equal(1L, await CountAsync("PG-A2"));

        // Into the dead zone again; the inspector switches to another app and back once the signal has returned.
        await using (await session.ExpectFailures("request failed", "ERR_CONNECTION_REFUSED"))
        {
            await reopened.RouteAsync("**/api/inspections/**", route => route.AbortAsync("connectionrefused"));
            await SubmitMonthlyAsync(reopened, "PG-A3");
            await Assertions.Expect(reopened.Locator("#outbox li[data-state=waiting]")).ToHaveCountAsync(1);
            Assert.Equal(0L, await CountAsync("PG-A3"));
            await reopened.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.IgnoreErrors });
        }
        await reopened.EvaluateAsync("() => document.dispatchEvent(new Event('visibilitychange'))");
        await Assertions.Expect(reopened.Locator("#outbox li[data-state=done]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        await Assertions.Expect(reopened.Locator("#outbox-count")).ToHaveTextAsync("0");
        Assert.Equal(1L, await CountAsync("PG-A3"));
    }

    [Fact]
    public async Task A_photo_whose_answer_was_lost_resumes_from_the_bytes_the_server_holds_and_each_state_reads_in_Korean()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        // Under 500 KB and 1600 px, so the phone sends it as it is: two chunks whose ranges are known here.
        var bytes = TestPhotos.Jpeg(450_000, seed: 310);
        var ranges = new List<string>();
        var heads = 0;
        var puts = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/inspections/*/photos/*", async route =>
        {
            if (route.Request.Method == "HEAD")
            {
                Interlocked.Increment(ref heads);
            }
            if (route.Request.Method == "PUT")
            {
                lock (ranges)
                {
                    ranges.Add(route.Request.Headers["content-range"]);
                }
                if (Interlocked.Increment(ref puts) == 1)
                {
                    await release.Task;                        // the test reads the outbox while the first chunk is on its way
                    await route.FetchAsync();                  // the server receives the chunk …
                    await route.AbortAsync("connectionreset"); // … and its answer is lost on the way back
                    return;
                }
            }
            await route.ContinueAsync();
        });

        await using (await session.ExpectFailures("request failed", "ERR_CONNECTION_RESET"))
        {
            await page.EvaluateAsync("location.hash = '#/inspect/playground/PG-A4/playground-monthly'");
            await FillMonthlyAsync(page);
            await page.GetByLabel("사진 더하기").SetInputFilesAsync(Photo("slide.jpg", bytes));
            await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
            var item = page.Locator("#outbox li").First;
            await Assertions.Expect(item.Locator(".state")).ToHaveTextAsync("사진 0/1");   // its photos on their way
            await session.CheckScreenAsync("outbox-photo-sending");
            release.SetResult();
            await Assertions.Expect(item).ToHaveAttributeAsync("data-state", "waiting");
            await Assertions.Expect(item).ToContainTextAsync("대기 — 서버에 연결할 수 없습니다");
            await page.GetByRole(AriaRole.Button, new() { Name = "지금 보내기" }).ClickAsync();
            await Assertions.Expect(item).ToHaveAttributeAsync("data-state", "done");
            await Assertions.Expect(item).ToContainTextAsync("완료");
            await session.SettleAsync();
        }
        // The phone never heard that the first chunk arrived; it asked the server (HEAD) and went on from 262,144, not from 0.
        Assert.Equal([$"bytes 0-262143/{bytes.Length}", $"bytes 262144-{bytes.Length - 1}/{bytes.Length}"], ranges);
        Assert.True(heads >= 2, $"the phone asked the server where to resume {heads} time(s)");
        var sha = await f.Db.ScalarAsync<byte[]>("""
            SELECT p.sha256 FROM inspection_photo p JOIN inspection i ON i.id = p.inspection_id JOIN asset a ON a.id = i.asset_id
            WHERE a.code = 'PG-A4' AND p.received_at IS NOT NULL
            """);
        Assert.Equal(SHA256.HashData(bytes), sha);
    }

    [Fact]
    public async Task The_checklist_is_the_programs_current_version_refreshed_when_online_with_each_grades_meaning_on_screen()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        using var admin = f.AdminClient();
        var monthly = JsonNode.Parse(await admin.GetStringAsync("/api/programs"))!.AsArray()
            .Single(p => p!["code"]!.GetValue<string>() == "playground-monthly")!;

        await page.EvaluateAsync("location.hash = '#/inspect/playground/PG-A5/playground-monthly'");
        var overall = page.Locator("fieldset", new() { Has = page.GetByText("종합 판정 (필수)") });
        foreach (var grade in monthly["definition"]!["overall"]!["values"]!.AsArray())
        {
            // The statute's meaning of each grade beside it, as the inspector chooses.
            await Assertions.Expect(overall).ToContainTextAsync($"{grade!["value"]!.GetValue<string>()} — {grade["meaning"]!.GetValue<string>()}");
        }
        await Assertions.Expect(page.Locator("textarea#notes")).ToBeVisibleAsync();
        Assert.Equal("특이사항", await page.Locator("label[for=notes]").InnerTextAsync());
        await Assertions.Expect(page.GetByLabel("사진 더하기")).ToHaveAttributeAsync("accept", "image/*");
        // A photo no phone should try to open is refused in words before it reaches the outbox.
        var huge = new byte[41 * 1024 * 1024];
        "\xFF\xD8\xFF"u8.ToArray().CopyTo(huge, 0);
        await page.GetByLabel("사진 더하기").SetInputFilesAsync(Photo("huge.jpg", huge));
        await Assertions.Expect(page.GetByText("사진 huge.jpg 은(는) 41.0 MB 입니다. 40 MB 이하의 사진을 고르세요.")).ToBeVisibleAsync();
        await session.CheckScreenAsync("photo-too-large");
        await page.GetByLabel("사진 더하기").SetInputFilesAsync(Array.Empty<FilePayload>());

        // An administrator adds an item while the phone holds version 1.
        var edited = monthly["definition"]!.DeepClone().AsObject();
        edited["items"]!.AsArray().Add(new JsonObject { ["id"] = "gate_latch", ["label"] = "출입문 잠금장치 상태", ["type"] = "text", ["required"] = false });
        using (var put = await admin.PutAsync("/api/programs/playground-monthly", new StringContent(edited.ToJsonString(), Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        Assert.Equal(0, await page.GetByText("출입문 잠금장치 상태").CountAsync());

        // Opened again online: the phone's copy is shown first and refreshed behind; the checklist is then version 2.
        var refreshed = page.WaitForResponseAsync(r => r.Url.EndsWith("/api/programs") && r.Status == 200);
        await page.GotoAsync("/inspector/");
        await refreshed;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await page.EvaluateAsync("location.hash = '#/'");
            await page.EvaluateAsync("location.hash = '#/inspect/playground/PG-A5/playground-monthly'");
            await Assertions.Expect(page.GetByText("종합 판정 (필수)")).ToBeVisibleAsync();
            Assert.True(DateTime.UtcNow < deadline, "The app did not take the program's version 2 from the server.");
        }
        while (await page.GetByLabel("출입문 잠금장치 상태").CountAsync() == 0);
        await FillMonthlyAsync(page);
        await page.GetByLabel("출입문 잠금장치 상태").FillAsync("잠금장치 헐거움, 조임");
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "done");
        await session.CheckScreenAsync("checklist-version-2-sent");
        Assert.Equal("2|잠금장치 헐거움, 조임", await f.Db.ScalarAsync<string>("""
            SELECT i.program_version || '|' || (v.content -> 'answers' ->> 'gate_latch')
            FROM inspection i JOIN inspection_version v ON v.inspection_id = i.id JOIN asset a ON a.id = i.asset_id
            WHERE a.code = 'PG-A5'
            """));
    }

    [Fact]
    public async Task A_managing_body_signs_in_to_the_app_for_a_field_day_and_finds_only_the_playground_it_looks_after()
    {
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall);
        var (lat, lon) = At("PG-A5");
        await session.PlaceAtAsync(lat, lon, 8);
        await session.GotoAsync("/login");
        await session.Page.GetByLabel("아이디").FillAsync(BodyUsername);
        await session.Page.GetByLabel("비밀번호").FillAsync(Password);
        var signedInAt = DateTimeOffset.UtcNow;
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "로그인" }).ClickAsync();

        await session.Page.WaitForURLAsync("**/inspector/**", new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "가까운 점검 대상" })).ToBeVisibleAsync();
        // Standing among the five others, it is offered its own playground, 1 km away, and nothing else.
        await Assertions.Expect(session.Page.Locator("#assets li")).ToHaveCountAsync(1);
        await Assertions.Expect(session.Page.Locator("#assets li").First).ToContainTextAsync("앱 시험 놀이터 6");
        await session.CheckScreenAsync("managing-body-nearby");

        // The sign-in is kept on the phone for the working day, even if the browser is closed in between.
        var cookie = (await session.Context.CookiesAsync()).Single(c => c.Name == "paju.session");
        var expires = DateTimeOffset.FromUnixTimeSeconds((long)cookie.Expires);
        Assert.InRange(expires - signedInAt, TimeSpan.FromHours(11.9), TimeSpan.FromHours(12.1));
        Assert.True(cookie.HttpOnly);
    }

    [Fact]
    public async Task Todays_work_comes_first_and_a_playground_with_nothing_due_goes_last_however_near()
    {
        // PG-A1 has this month's check and a valid 정기시설검사 (filed through the API); every other playground still has work.
        await f.Db.ExecuteAsync("INSERT INTO playground (asset_id, facility_no) SELECT id, 'A-0001' FROM asset WHERE code = 'PG-A1'");
        using var admin = f.AdminClient();
        var seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, seoul).DateTime);
        var inspected = today.AddDays(-10);
        var periodic = new Dictionary<string, object?>
        {
            ["program"] = "playground-periodic", ["programVersion"] = 1, ["subject"] = new { kind = "playground", code = "PG-A1" },
            ["answers"] = new Dictionary<string, object?>
            {
                ["result"] = "합격", ["inspected_on"] = inspected.ToString("yyyy-MM-dd"), ["valid_until"] = inspected.AddYears(2).AddDays(-1).ToString("yyyy-MM-dd"),
                ["body"] = "한국건설생활환경시험연구원",
            },
            ["notes"] = "검사기관 합격증명서 확인",
            ["startedAt"] = $"{inspected:yyyy-MM-dd}T14:00:00+09:00", ["finishedAt"] = $"{inspected:yyyy-MM-dd}T15:00:00+09:00",
        };
        foreach (var body in new[] { Paju.Field.Tests.Inspections.InspectionFixture.Now(Paju.Field.Tests.Inspections.InspectionFixture.Monthly("PG-A1")), periodic })
        {
            using var put = await admin.PutAsJsonAsync($"/api/inspections/{Guid.NewGuid()}", body);
            Assert.True(put.StatusCode == HttpStatusCode.Created, await put.Content.ReadAsStringAsync());
        }

        await using var session = await f.OpenAppAsync(browser, standAt: "PG-A1");
        await session.Page.ReloadAsync();
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "현재 위치 기준" })).ToBeVisibleAsync();
        var items = session.Page.Locator("#assets li");
        await Assertions.Expect(items).ToHaveCountAsync(6);
        // Standing at it, 0 m away, it is still listed after the playground 1.2 km off that has work.
        await Assertions.Expect(items.Last).ToContainTextAsync("앱 시험 놀이터 1");
        await Assertions.Expect(items.Last).ToContainTextAsync("월 점검 완료");
        await Assertions.Expect(items.Last).ToContainTextAsync("정기검사 완료");
        await Assertions.Expect(items.First).ToContainTextAsync("할 일");
        await session.CheckScreenAsync("todays-work-first");
    }

    private static async Task SubmitMonthlyAsync(IPage page, string code)
    {
        await page.EvaluateAsync($"location.hash = '#/inspect/playground/{code}/playground-monthly'");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("어린이놀이시설 월 안전점검");
        await FillMonthlyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "보관함" })).ToBeVisibleAsync();
    }

    private Task<long> CountAsync(string code) =>
        f.Db.ScalarAsync<long>("SELECT count(*) FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code = $1", code);
}
