using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Tags;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Inspections;

namespace Paju.Field.Tests.Tags;

/// <summary>
/// The plate's public page for a parent at the playground: is it safe now (the latest check and its grade in plain words,
/// the periodic inspection's validity, 이용금지 with its reason), whom to call — without scripts, small, never personal,
/// cached and yet changed the moment a closing inspection is filed.
/// </summary>
public sealed class PublicPageTests(InspectionFixture f, Browser browser) : IClassFixture<InspectionFixture>, IAsyncLifetime
{
    private Tag _plate = null!;
    private Tag _parkPlate = null!;

    public async ValueTask InitializeAsync()
    {
        await f.Db.ExecuteAsync("""
            UPDATE managing_body SET phone = '031-945-0909' WHERE code = 'hanbit-apt';
            INSERT INTO playground (asset_id, facility_no, road_address, periodic_valid_until, periodic_valid_from)
            SELECT id, 'T-PUB-' || id, '경기도 파주시 한빛로 70', '2027-09-30', '2025-10-01' FROM asset WHERE code = 'PG-I0001'
            ON CONFLICT (asset_id) DO NOTHING;
            """);
        var keys = new TagKeyStore(Path.Combine(f.Server.DataDirectory, "keys", "tags.json"));
        await using var conn = await f.Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var asset = await AssetRef.ResolveAsync(conn, tx, "PG-I0001", null, default);
        _plate = await TagStore.AddAsync(conn, tx, keys, asset, "ntag424", null, null, Actor.System("test"), default);
        _parkPlate = await TagStore.AddAsync(conn, tx, keys, await AssetRef.ResolveAsync(conn, tx, "PG-I0002", null, default), "qr", null, null, Actor.System("test"), default);
        await tx.CommitAsync();
    }

    [Fact]
    public async Task Without_scripts_a_parent_sees_the_latest_check_its_grade_the_validity_and_whom_to_call_and_a_tampered_tap_counts_for_nothing()
    {
        var (status, _) = await f.PutAsync(Guid.NewGuid(), InspectionFixture.Now(InspectionFixture.Monthly()));
        Assert.Equal(201, status);
        var before = await f.Db.ScalarAsync<long>("SELECT (SELECT count(*) FROM checkin) + (SELECT count(*) FROM tag_counter)");
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall, javaScript: false);

        var response = await session.GotoAsync($"/t/{_plate.Id}?picc_data=00000000000000000000000000000000&cmac=0000000000000000");

        var page = session.Page;
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("한빛마을 9단지 놀이터");
        await Assertions.Expect(page.Locator(".grade-note")).ToHaveTextAsync("이용할 수 있습니다 — 최근 안전점검 결과 양호");
        await Assertions.Expect(page.GetByText("이번 달 점검을 마쳤습니다.")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".facts.status")).ToContainTextAsync("결과 양호");
        await Assertions.Expect(page.Locator(".facts.status")).ToContainTextAsync("이용자에게 위험을 줄 수 있는 요소가 없습니다.");
        await Assertions.Expect(page.Locator(".facts.status")).ToContainTextAsync("합격 · 유효기간 2027년 9월 30일까지");
        await Assertions.Expect(page.Locator(".facts.status")).ToContainTextAsync("경기도 파주시 한빛로 70");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "031-945-0909" })).ToHaveAttributeAsync("href", "tel:0319450909");
        await Assertions.Expect(page.Locator(".contact")).ToContainTextAsync("한빛마을 9단지 관리사무소");
        await Assertions.Expect(page.Locator(".closed-banner")).ToHaveCountAsync(0);

        var html = await response!.TextAsync();
        Assert.DoesNotContain("inspector.kim", html);   // no inspector's name or account, only the body's public contact
        Assert.DoesNotContain("<script", html);
        using var http = new HttpClient { BaseAddress = f.Server.BaseAddress };
        var css = await http.GetByteArrayAsync(new Uri(new Uri(page.Url), await page.Locator("link[rel=stylesheet]").GetAttributeAsync("href")));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(html) + css.Length <= 100 * 1024, $"page {html.Length} + style {css.Length} bytes");
        Assert.Equal(before, await f.Db.ScalarAsync<long>("SELECT (SELECT count(*) FROM checkin) + (SELECT count(*) FROM tag_counter)"));
    }

    [Fact]
    public async Task A_closing_inspection_turns_the_banner_on_at_once_though_the_page_was_cached()
    {
        using var citizen = new HttpClient { BaseAddress = f.Server.BaseAddress };
        var first = await citizen.GetAsync($"/t/{_parkPlate.Id}");
        var etag = first.Headers.ETag!;
        Assert.DoesNotContain("closed-banner", await first.Content.ReadAsStringAsync());
        using (var again = new HttpRequestMessage(HttpMethod.Get, $"/t/{_parkPlate.Id}?picc_data=AA&cmac=BB"))
        {
            again.Headers.IfNoneMatch.Add(etag);
            Assert.Equal(HttpStatusCode.NotModified, (await citizen.SendAsync(again)).StatusCode);   // the same page whatever the tap's query
        }

        var closing = InspectionFixture.Now(InspectionFixture.Monthly(asset: "PG-I0002", grade: "이용금지",
            extraAnswers: new() { ["joints"] = "이용금지" }, notes: "그네 고리 파손"));
        Assert.Equal(201, (await f.PutAsync(Guid.NewGuid(), closing)).Status);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        string body;
        while (!(body = await citizen.GetStringAsync($"/t/{_parkPlate.Id}")).Contains("closed-banner"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The public page still shows the playground open 30 s after it was closed.");
            await Task.Delay(100);
        }
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall);
        await session.GotoAsync($"/t/{_parkPlate.Id}");
        var banner = session.Page.GetByRole(AriaRole.Region, new() { Name = "이용금지" });
        await Assertions.Expect(banner).ToContainTextAsync("이용을 금지했습니다");
        await Assertions.Expect(banner).ToContainTextAsync("연결상태");
        await Assertions.Expect(banner).ToContainTextAsync("그네 고리 파손");
        await Assertions.Expect(banner.Locator("time")).ToHaveAttributeAsync("datetime", Paju.Field.Calendar.SeoulCalendar.ToSeoul(DateTimeOffset.UtcNow.AddMinutes(-1)).ToString("yyyy-MM-dd"));
        Assert.EndsWith("(이용금지) · 파주 현장안전", await session.Page.TitleAsync());
        // A playground with no managing body of its own: the city's contact.
        await Assertions.Expect(session.Page.Locator(".contact")).ToContainTextAsync("파주시 행정안전국 안전총괄과");
        await session.CheckScreenAsync("closed");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
