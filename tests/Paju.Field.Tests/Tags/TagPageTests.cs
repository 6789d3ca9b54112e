using Microsoft.Playwright;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Tags;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tags;

/// <summary>The page a plate opens, in a real browser on a phone: the asset's name and code, in Korean, accessible, writing nothing.</summary>
public sealed class TagPageTests(WebFixture web, Browser browser) : IClassFixture<WebFixture>, IAsyncLifetime
{
    private Tag _tag = null!;
    private Tag _retired = null!;

    public async ValueTask InitializeAsync()
    {
        await web.Db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom) VALUES
              ('playground', 'PG-PAGE1', '운정 한빛마을 어린이놀이터', ST_SetSRID(ST_MakePoint(126.74, 37.72), 4326))
            ON CONFLICT DO NOTHING
            """);
        var keys = new TagKeyStore(Path.Combine(TempDirectory.Create("paju-tag-page-"), "tags.json"));
        await using var conn = await web.Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var asset = await AssetRef.ResolveAsync(conn, tx, "PG-PAGE1", null, default);
        _tag = await TagStore.AddAsync(conn, tx, keys, asset, "ntag424", null, null, Actor.System("test"), default);
        var old = await TagStore.AddAsync(conn, tx, keys, asset, "qr", null, null, Actor.System("test"), default);
        (_retired, _) = await TagStore.RetireAsync(conn, tx, keys, old.Id, null, Actor.System("test"), default);
        await tx.CommitAsync();
    }

    [Fact]
    public async Task A_plate_opens_the_asset_page_on_a_phone_without_writing()
    {
        await using var session = await WebSession.OpenAsync(browser, web.BaseAddress, Viewport.PhoneSmall);
        var before = await web.Db.ScalarAsync<long>("SELECT (SELECT count(*) FROM checkin) + (SELECT count(*) FROM tag_counter) + (SELECT count(*) FROM audit_log)");

        await session.GotoAsync($"/t/{_tag.Id}?picc_data=EF963FF7828658A599F3041510671E88&cmac=94EED9EE65337086");

        await Assertions.Expect(session.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("운정 한빛마을 어린이놀이터");
        await Assertions.Expect(session.Page.GetByText("PG-PAGE1")).ToBeVisibleAsync();
        await Assertions.Expect(session.Page.GetByText("어린이 놀이시설")).ToBeVisibleAsync();
        Assert.Equal("운정 한빛마을 어린이놀이터 · 파주 현장안전", await session.Page.TitleAsync());
        await session.SettleAsync();
        Assert.Equal(before, await web.Db.ScalarAsync<long>("SELECT (SELECT count(*) FROM checkin) + (SELECT count(*) FROM tag_counter) + (SELECT count(*) FROM audit_log)"));
    }

    [Fact]
    public async Task A_retired_plate_says_it_was_replaced_and_an_unknown_one_says_whom_to_tell()
    {
        await using var session = await WebSession.OpenAsync(browser, web.BaseAddress, Viewport.PhoneSmall);

        await session.GotoAsync($"/t/{_retired.Id}");
        await Assertions.Expect(session.Page.GetByText("이 표지는 교체되었습니다")).ToBeVisibleAsync();
        await session.SettleAsync();

        await using (await session.ExpectFailures("404"))
        {
            var response = await session.GotoAsync("/t/zz9zz9zz9z");
            Assert.Equal(404, response!.Status);
            await Assertions.Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("파주시에 등록되어 있지 않습니다");
            await session.SettleAsync();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
