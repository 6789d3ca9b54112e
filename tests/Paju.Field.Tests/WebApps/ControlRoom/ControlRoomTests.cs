using System.Net.Http.Json;
using Microsoft.Playwright;
using Paju.Field.Tests.Harness;
using SkiaSharp;

namespace Paju.Field.Tests.WebApps.ControlRoom;

/// <summary>
/// The control room on a wall display and a laptop: signing in lands on the map and the alarm table; a station is grey
/// when normal and takes the priority's colour when its controller's reading raises an alarm through MQTT; the alarm is
/// acknowledged with a comment from the keyboard alone, and the audit log has it.
/// </summary>
public sealed class ControlRoomTests(ControlRoomFixture f, Browser browser) : IClassFixture<ControlRoomFixture>
{
    private static async Task<SKColor> PixelAtStationAsync(WebSession session, string code) =>
        await PixelAtAsync(session, await session.Page.EvaluateAsync<double[]>("code => window.pajuRoom.stations.get(code).lngLat", code));

    private static bool Near(SKColor c, string hex)
    {
        var e = SKColor.Parse(hex);
        return Math.Abs(c.Red - e.Red) + Math.Abs(c.Green - e.Green) + Math.Abs(c.Blue - e.Blue) < 40;
    }

    [Fact]
    public async Task A_station_is_grey_until_its_reading_raises_an_alarm_and_then_the_alarm_is_acknowledged_by_keyboard_with_a_comment()
    {
        // A rule of this test alone (of no station, so it colours nothing): the alarm that arrives while the operator is on a button.
        await f.AddGaugeRuleAsync("ROOM-FOCUS", "focus_gauge_m", 3, "확인하는 중에 울린 경보 (시험)");
        await using var controller = await f.ControllerAsync();
        await using var session = await f.OpenRoomAsync(browser, Viewport.Wall);
        var page = session.Page;
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["basin_level_m"] = 2.0 }));
        await page.EvaluateAsync("() => { window.pajuRoom.map.jumpTo({ center: window.pajuRoom.stations.get('ULGOK-PS1').lngLat, zoom: 12 }); }");
        await WaitIdleAsync(session);
        await Assertions.Expect(page.Locator("#stations")).ToContainTextAsync("울곡 배수펌프장 — 정상");
        await Assertions.Expect(page.Locator("#stations")).ToContainTextAsync("유수지 수위 2.00 m");
        var normal = await PixelAtStationAsync(session, "ULGOK-PS1");
        Assert.True(Near(normal, "#5f6b7a"), $"a normal station is grey, not {normal}");
        await session.CheckScreenAsync("normal");

        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["basin_level_m"] = 4.1 }));
        var row = page.Locator("#alarm-rows tr", new() { HasText = "울곡 유수지 수위 매우 높음 (시험)" });
        await Assertions.Expect(row).ToContainTextAsync("미확인", new() { Timeout = 60_000 });
        await Assertions.Expect(row).ToContainTextAsync("1순위");
        await Assertions.Expect(page.Locator("#new-alarm")).ToContainTextAsync("새 경보: 울곡 유수지 수위 매우 높음 (시험)");
        await Assertions.Expect(page.Locator("#stations")).ToContainTextAsync("울곡 배수펌프장 — 경보 1순위");
        await Assertions.Expect(page.Locator("#stations")).ToContainTextAsync("유수지 수위 4.10 m");
        await WaitIdleAsync(session);
        var alarmed = await PixelAtStationAsync(session, "ULGOK-PS1");
        Assert.True(Near(alarmed, "#b3261e"), $"a station in a priority-1 alarm is red, not {alarmed}");
        await session.CheckScreenAsync("alarm");

        // Keyboard only: to the row's 확인 button, Enter; the dialog opens on the comment; Tab to its 확인, Enter.
        var ack = row.GetByRole(AriaRole.Button, new() { Name = "울곡 유수지 수위 매우 높음 (시험) 확인" });
        await ack.FocusAsync();
        // Another alarm arrives while the operator is on the button: the table is rebuilt, and the focus stays on it
        // (it fell back to the page before, and the Enter that followed did nothing).
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["focus_gauge_m"] = 12 }));
        await Assertions.Expect(page.Locator("#alarm-rows tr", new() { HasText = "확인하는 중에 울린 경보 (시험)" })).ToContainTextAsync("미확인", new() { Timeout = 60_000 });
        await Assertions.Expect(ack).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "경보 확인" })).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");   // no comment yet: refused, in Korean, and back to the comment
        await Assertions.Expect(page.Locator("#ack-error")).ToContainTextAsync("확인 메모를 적어 주세요");
        await page.Keyboard.TypeAsync("현장 확인 요청, 3호기 추가 가동");
        await page.Keyboard.PressAsync("Control+Enter");   // or Tab, Tab, Enter
        await Assertions.Expect(row).ToContainTextAsync("확인됨");
        await Assertions.Expect(row).ToContainTextAsync("현장 확인 요청, 3호기 추가 가동");
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("""
            SELECT count(*) FROM audit_log WHERE action = 'alarm.acknowledged' AND actor = $1 AND detail::text LIKE '%3호기 추가 가동%'
            """, ControlRoomFixture.Username));
        await session.CheckScreenAsync("acknowledged");

        // The alarm's asset link flies the map to the station, from anywhere in the city. MapLibre cancels the tiles a
        // flight leaves behind: those cancellations are its own, not failures.
        await using (await session.ExpectFailures("net::ERR_ABORTED"))
        {
            await page.EvaluateAsync("() => { window.pajuRoom.map.jumpTo({ center: [126.75, 37.93], zoom: 10 }); }");
            await row.GetByRole(AriaRole.Link, new() { Name = "ULGOK-PS1 지도에서 보기" }).ClickAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await page.EvaluateAsync<bool>("""
                () => { const m = window.pajuRoom.map, s = window.pajuRoom.stations.get('ULGOK-PS1').lngLat, c = m.getCenter();
                        return !m.isMoving() && Math.abs(m.getZoom() - 15) < 0.01 && Math.abs(c.lng - s[0]) < 1e-4 && Math.abs(c.lat - s[1]) < 1e-4; }
                """))
            {
                Assert.True(DateTime.UtcNow < deadline, "The map did not fly to the alarm's station.");
                await Task.Delay(100);
            }
            await WaitIdleAsync(session);
        }
        await session.CheckScreenAsync("flown-to-station");
    }

    [Fact]
    public async Task An_alarm_flood_is_flagged_and_several_alarms_are_acknowledged_together_with_one_comment()
    {
        await using var controller = await f.ControllerAsync();
        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop);
        var page = session.Page;
        await Assertions.Expect(page.Locator("#flood")).ToBeHiddenAsync();
        var gauges = Enumerable.Range(1, ControlRoomFixture.FloodGauges).ToDictionary(n => $"flood_gauge_{n:00}_m", _ => 20.0);
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: gauges));

        // Eleven new alarms within ten minutes: the room says so, and where to start.
        await Assertions.Expect(page.Locator("#flood")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#flood")).ToContainTextAsync($"경보 폭주: 10분 동안 새 경보 {ControlRoomFixture.FloodGauges}건");
        await Assertions.Expect(page.Locator("#alarm-rows tr", new() { HasText = "폭주 시험" })).ToHaveCountAsync(ControlRoomFixture.FloodGauges);
        await session.CheckScreenAsync("alarm-flood");

        // Two picked by their boxes, acknowledged with one comment: one audit row each.
        foreach (var n in new[] { "01", "02" })
        {
            await page.GetByRole(AriaRole.Checkbox, new() { Name = $"폭주 시험 {n} 선택" }).CheckAsync();
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "선택한 경보 2건 확인" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "경보 확인" });
        await Assertions.Expect(dialog).ToContainTextAsync("경보 2건: 폭주 시험 0");
        await Assertions.Expect(dialog.Locator("#ack-what")).ToContainTextAsync("폭주 시험 01");
        await Assertions.Expect(dialog.Locator("#ack-what")).ToContainTextAsync("폭주 시험 02");
        await dialog.GetByLabel("확인 메모").FillAsync("계측 배선 점검 중, 일괄 확인");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "확인", Exact = true }).ClickAsync();
        foreach (var n in new[] { "01", "02" })
        {
            await Assertions.Expect(page.Locator("#alarm-rows tr", new() { HasText = $"폭주 시험 {n}" })).ToContainTextAsync("확인됨");
        }
        await Assertions.Expect(page.Locator("#alarm-rows tr", new() { HasText = "폭주 시험 03" })).ToContainTextAsync("미확인");
        Assert.Equal(2L, await f.Db.ScalarAsync<long>("""
            SELECT count(*) FROM audit_log WHERE action = 'alarm.acknowledged' AND actor = $1 AND detail::text LIKE '%일괄 확인%'
            """, ControlRoomFixture.Username));

        // The gauges back to normal and the rest acknowledged at once (select all), so the table is left as found.
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: gauges.ToDictionary(g => g.Key, _ => 0.0)));
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "확인 안 된 경보 모두 선택" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^선택한 경보 \\d+건 확인$") }).ClickAsync();
        await dialog.GetByLabel("확인 메모").FillAsync("폭주 시험 종료");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "확인", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#alarm-rows tr", new() { HasText = "폭주 시험" }).Filter(new() { HasText = "미확인" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_station_that_stops_reporting_is_greyed_and_called_stale_until_it_reports_again()
    {
        await using var controller = await f.ControllerAsync();
        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop);
        var page = session.Page;
        var station = page.Locator("#stations li", new() { HasText = "울곡 배수펌프장" }).First;
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["basin_level_m"] = 2.5 }));
        await Assertions.Expect(station).ToContainTextAsync("유수지 수위 2.50 m", new() { Timeout = 30_000 });
        await Assertions.Expect(station.Locator(".values")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("stale"));

        // Nothing for longer than Paju:ControlRoom:StaleSeconds: greyed, said in words on the list and the map.
        await Assertions.Expect(station).ToContainTextAsync("울곡 배수펌프장 — 자료 오래됨", new() { Timeout = 90_000 });
        await Assertions.Expect(station.Locator(".values")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("stale"));
        await Assertions.Expect(station.Locator(".values")).ToContainTextAsync("오래됨)");
        await Assertions.Expect(page.Locator(".station-label.stale", new() { HasText = "울곡 배수펌프장 · 자료 오래됨" })).ToHaveCountAsync(1);
        var colour = await station.Locator(".values").EvaluateAsync<string>("e => getComputedStyle(e).color");
        var body = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).color");
        Assert.NotEqual(body, colour);
        await session.CheckScreenAsync("stale");

        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["basin_level_m"] = 2.6 }));
        await Assertions.Expect(station).ToContainTextAsync("울곡 배수펌프장 — 정상", new() { Timeout = 30_000 });
        await Assertions.Expect(station.Locator(".values")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("stale"));
    }

    [Fact]
    public async Task On_a_laptop_the_room_shows_the_legend_the_stations_and_the_city_and_a_layer_can_be_turned_off()
    {
        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop);
        var page = session.Page;
        // A laptop's map is small: the legend starts folded and opens from its summary.
        await Assertions.Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "공중이용시설" })).ToBeHiddenAsync();
        await session.CheckScreenAsync("laptop-legend-folded");
        await page.Locator(".legend summary").ClickAsync();
        await Assertions.Expect(page.Locator(".legend")).ToContainTextAsync("배수펌프장");
        await Assertions.Expect(page.Locator(".area-label").First).ToBeVisibleAsync();
        Assert.Equal(17, await page.Locator(".area-label").CountAsync());   // the 17 읍면동 of the reference data, named on the map
        // The city drawn from the sample's public boundaries, with the credit line their licence asks for.
        await Assertions.Expect(page.Locator("#credit")).ToContainTextAsync("공공누리 제1유형");
        await Assertions.Expect(page.Locator(".maplibregl-ctrl-attrib")).ToContainTextAsync("통계청 SGIS");
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.pajuRoom.map.querySourceFeatures('outline').length > 0 ? 1 : 0"));
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "공중이용시설" }).UncheckAsync();
        Assert.Equal("none", await page.EvaluateAsync<string>("() => window.pajuRoom.map.getLayoutProperty('public_facility', 'visibility')"));
        await Assertions.Expect(page.Locator("#clock")).ToContainTextAsync("년");
        // The configured basemap is drawn (from its own origin, which the page's policy lets in) with its credit line.
        Assert.True(f.BasemapRequests > 0, "the room did not ask the configured basemap for a tile");
        await Assertions.Expect(page.Locator(".maplibregl-ctrl-attrib")).ToContainTextAsync("시험 배경지도");
        await session.CheckScreenAsync("laptop");
    }

    [Fact]
    public async Task Alarms_and_the_live_feed_come_up_and_a_new_alarm_shows_while_the_basemap_does_not_answer()
    {
        // A rule of this test alone, so that no other test's alarm can stand in for the one raised here.
        await f.AddGaugeRuleAsync("ROOM-NO-MAP", "no_map_gauge_m", 2, "배경지도 없이 울린 경보 (시험)");
        await using var controller = await f.ControllerAsync();
        using var hold = f.HoldBasemap();
        // The room's PC reaches the server but not the basemap's host: the map waits for its tiles; the alarms do not.
        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop, waitForMap: false);
        var page = session.Page;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (f.HeldBasemapRequests == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The room's map never asked for its basemap.");
            await Task.Delay(100);
        }
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["no_map_gauge_m"] = 12 }));
        var row = page.Locator("#alarm-rows tr", new() { HasText = "배경지도 없이 울린 경보 (시험)" });
        await Assertions.Expect(row).ToContainTextAsync("미확인", new() { Timeout = 60_000 });
        await Assertions.Expect(row).ToContainTextAsync("2순위");
        await Assertions.Expect(page.Locator("#new-alarm")).ToContainTextAsync("새 경보: 배경지도 없이 울린 경보 (시험)");
        // The list needs no map. The stations' states are other tests' business (an alarm of theirs may still stand): names only.
        await Assertions.Expect(page.Locator("#stations button[data-station]")).ToHaveTextAsync(
            [new System.Text.RegularExpressions.Regex("울곡 배수펌프장 — "), new System.Text.RegularExpressions.Regex("울곡 간이배수펌프장 — ")]);
        // The campaign strip above the map is there too: drawn only after the map, it pushed the alarm table down.
        await Assertions.Expect(page.Locator("#campaign-playground summary")).ToContainTextAsync("놀이시설 점검");
        Assert.False(await page.EvaluateAsync<bool>("() => window.pajuRoom.ready === true"), "the map was ready: the basemap was not held");
        await session.CheckScreenAsync("no-basemap-yet");

        // The basemap's host answers again: the map finishes loading on the same page, under the alarm it already shows.
        hold.Dispose();
        deadline = DateTime.UtcNow.AddSeconds(120);
        while (!await page.EvaluateAsync<bool>("() => window.pajuRoom.ready === true && window.pajuRoom.map.areTilesLoaded()"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The room's map did not load once its basemap answered.");
            await Task.Delay(200);
        }
        await Assertions.Expect(row).ToContainTextAsync("미확인");
        await session.CheckScreenAsync("basemap-back");
    }

    [Fact]
    public async Task A_shelved_alarm_leaves_the_unacknowledged_count_and_returns_by_itself_when_its_time_is_up()
    {
        await using var controller = await f.ControllerAsync();
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["test_gauge_m"] = 12 }));
        var raisedBy = DateTime.UtcNow.AddSeconds(60);
        while (!await f.Db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM alarm a JOIN alarm_rule r ON r.id = a.rule_id WHERE r.code = 'ROOM-GAUGE-HIGH')"))
        {
            Assert.True(DateTime.UtcNow < raisedBy, "The gauge's alarm was not raised within 60 s; latest value: " +
                await f.Db.ScalarAsync<string>("SELECT coalesce((SELECT value::text || ' at ' || ts::text FROM latest_metric WHERE metric = 'test_gauge_m'), 'none')"));
            await Task.Delay(200);
        }
        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop);
        var page = session.Page;
        var row = page.Locator("#alarm-rows tr", new() { HasText = "시험 계측기 값 높음" });
        await Assertions.Expect(row).ToContainTextAsync("3순위", new() { Timeout = 60_000 });

        await row.GetByRole(AriaRole.Button, new() { Name = "시험 계측기 값 높음 보류" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "경보 보류" });
        await dialog.GetByLabel("보류 시간").SelectOptionAsync("1");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "보류" }).ClickAsync();
        await Assertions.Expect(page.Locator("#shelve-error")).ToContainTextAsync("보류하는 까닭을 적어 주세요");
        await dialog.GetByLabel("사유 (필수)").FillAsync("계측기 교정 중");
        await session.CheckScreenAsync("shelve-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "보류" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("보류 (");
        Assert.True(await f.Db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'alarm.shelved' AND detail::text LIKE '%계측기 교정 중%')"));

        // A minute later the evaluator unshelves it and the table shows it again as it stands, without a reload.
        await Assertions.Expect(row).Not.ToContainTextAsync("보류 (", new() { Timeout = 150_000 });
        await Assertions.Expect(row.GetByRole(AriaRole.Button, new() { Name = "시험 계측기 값 높음 보류" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Citizens_open_reports_are_a_layer_of_the_map_and_an_urgent_one_shows_in_red()
    {
        var keys = new Paju.Field.Server.Tags.TagKeyStore(Path.Combine(f.Server.DataDirectory, "keys", "tags.json"));
        Paju.Field.Server.Tags.Tag plate;
        await using (var conn = await f.Db.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            var code = await f.Db.ScalarAsync<string>("SELECT code FROM asset WHERE kind = 'playground' ORDER BY code LIMIT 1");
            var asset = await Paju.Field.Server.Tags.AssetRef.ResolveAsync(conn, tx, code, null, default);
            plate = await Paju.Field.Server.Tags.TagStore.AddAsync(conn, tx, keys, asset, "qr", null, null, Paju.Field.Server.Audit.Actor.System("test"), default);
            await tx.CommitAsync();
        }
        using var citizen = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = f.Server.BaseAddress };
        using var form = new MultipartFormDataContent
        {
            { new StringContent("그네에서 떨어져 아이가 팔을 다쳤습니다."), "description" },
            { new StringContent("yes"), "injured" },
            { new StringContent("fracture"), "injury" },
        };
        var filed = await citizen.PostAsync($"/t/{plate.Id}/report", form);
        Assert.Equal(System.Net.HttpStatusCode.SeeOther, filed.StatusCode);
        var receipt = filed.Headers.Location!.OriginalString.Split('/', '?')[2];

        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop);
        var page = session.Page;
        await Assertions.Expect(page.Locator(".legend")).ToContainTextAsync("시민 신고");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await page.EvaluateAsync<string[]>("() => window.pajuRoom.map.querySourceFeatures('reports').map(f => f.properties.receipt)")).Contains(receipt))
        {
            Assert.True(DateTime.UtcNow < deadline, "The open report is not on the map's reports layer.");
            await Task.Delay(200);
        }
        Assert.True(await page.EvaluateAsync<bool>("""
            receipt => window.pajuRoom.map.querySourceFeatures('reports').some(f => f.properties.receipt === receipt && f.properties.urgent === true)
            """, receipt));
        // The urgent report is a priority-1 alarm in the table too.
        await Assertions.Expect(page.Locator("#alarm-rows tr", new() { HasText = receipt })).ToContainTextAsync("1순위");
    }

    [Fact]
    public async Task A_stations_panel_shows_its_basin_and_pumps_and_its_chart_gains_a_point_when_a_reading_arrives()
    {
        await using var controller = await f.ControllerAsync();
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new()
        {
            ["basin_level_m"] = 2.2, ["pump1_current_a"] = 120.5, ["pump1_run_h"] = 1520.4, ["pump1_starts_count"] = 311,
            ["inflow_m3_per_h"] = 5400, ["outflow_m3_per_h"] = 5100, ["rain_mm_per_h"] = 12.5,
        }, flags: new() { ["pump1_running"] = true, ["pump2_running"] = false, ["pump2_fault"] = true }));
        await using var session = await f.OpenRoomAsync(browser, Viewport.Wall);
        var page = session.Page;
        await page.Locator("#stations button[data-station='ULGOK-PS1']").ClickAsync();
        var panel = page.GetByRole(AriaRole.Complementary, new() { Name = "[샘플] 울곡 배수펌프장" });
        await Assertions.Expect(panel).ToBeVisibleAsync();
        var facts = panel.Locator(".station-facts");
        await Assertions.Expect(facts).ToContainTextAsync("2.20 m");
        await Assertions.Expect(facts).ToContainTextAsync("264,157 m³");           // the basin's capacity, the volume from its curve
        await Assertions.Expect(facts).ToContainTextAsync("3.50 m (1순위)");        // the alarm threshold on its level
        await Assertions.Expect(facts).ToContainTextAsync("5,400 · 5,100 m³/h");
        await Assertions.Expect(panel.Locator(".pump-rows tr")).ToHaveCountAsync(4);
        await Assertions.Expect(panel.Locator(".pump-rows tr").Nth(0)).ToContainTextAsync("가동");
        await Assertions.Expect(panel.Locator(".pump-rows tr").Nth(0)).ToContainTextAsync("120.5 A");
        await Assertions.Expect(panel.Locator(".pump-rows tr").Nth(1)).ToContainTextAsync("고장");

        // The chart: the stored series, then one more point when the next reading arrives — no reload.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int points;
        while ((points = await page.EvaluateAsync<int>("() => window.pajuRoom.panel.data?.[0].length ?? 0")) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The level chart has no point.");
            await Task.Delay(200);
        }
        Assert.True(await page.EvaluateAsync<bool>("() => window.pajuRoom.panel.chart.series.some(s => s.label === '경보 기준 3.50 m (1순위)')"));
        await controller.PublishAsync(controller.Reading(DateTimeOffset.UtcNow, numbers: new() { ["basin_level_m"] = 2.45 }));
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (await page.EvaluateAsync<int>("() => window.pajuRoom.panel.data[0].length") != points + 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The chart did not gain the new reading (still {points} points).");
            await Task.Delay(200);
        }
        Assert.Equal(2.45, await page.EvaluateAsync<double>("() => window.pajuRoom.panel.data[1].at(-1)"), 3);
        await Assertions.Expect(facts).ToContainTextAsync("2.45 m");
        await session.CheckScreenAsync("station-panel");

        // Seven days, then closed from the keyboard.
        await panel.GetByRole(AriaRole.Button, new() { Name = "7일" }).ClickAsync();
        await Assertions.Expect(panel.GetByRole(AriaRole.Button, new() { Name = "7일" })).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(panel.Locator(".station-chart")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("7일 그래프"));
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(panel).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_campaign_strip_counts_a_check_as_it_is_filed_and_opens_by_area()
    {
        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop);
        var page = session.Page;
        var playground = page.Locator("#campaign-playground summary");
        await Assertions.Expect(playground).ToContainTextAsync("놀이시설 점검");
        await Assertions.Expect(playground).ToContainTextAsync("/719");
        var before = await page.EvaluateAsync<int>("() => Number(document.querySelector('#campaign-playground progress').value)");
        Assert.Equal(before, await f.Db.ScalarAsync<int>("""
            SELECT count(DISTINCT i.asset_id)::int FROM inspection i JOIN asset a ON a.id = i.asset_id
            WHERE a.kind = 'playground' AND a.status = 'active' AND i.program = 'playground-monthly'
              AND i.finished_at >= (date_trunc('month', now() AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul')
            """));
        await playground.ClickAsync();
        await Assertions.Expect(page.Locator("#campaign-playground tr")).ToHaveCountAsync(17);   // the sample's 17 읍면동
        await Assertions.Expect(page.Locator("#campaign-playground")).ToContainTextAsync("파평면");
        await session.CheckScreenAsync("campaign-by-area");

        // A playground not yet checked this month is checked now, through the API an inspector's phone uses: the strip counts it live.
        var code = await f.Db.ScalarAsync<string>("""
            SELECT a.code FROM asset a WHERE a.kind = 'playground' AND a.closed_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM inspection i WHERE i.asset_id = a.id AND i.program = 'playground-monthly'
                  AND i.finished_at >= (date_trunc('month', now() AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul'))
            ORDER BY a.code LIMIT 1
            """);
        var lon = await f.Db.ScalarAsync<double>("SELECT ST_X(geom) FROM asset WHERE kind = 'playground' AND code = $1", code);
        var lat = await f.Db.ScalarAsync<double>("SELECT ST_Y(geom) FROM asset WHERE kind = 'playground' AND code = $1", code);
        await playground.FocusAsync();   // a keyboard user on the strip when the update comes: the focus stays there
        using var phone = await f.ApiClientAsync();
        var check = Paju.Field.Tests.Inspections.InspectionFixture.Now(Paju.Field.Tests.Inspections.InspectionFixture.Monthly(code));
        check["position"] = new { lat, lon };
        var filed = await phone.PutAsJsonAsync($"/api/inspections/{Guid.NewGuid()}", check);
        Assert.True((int)filed.StatusCode == 201, await filed.Content.ReadAsStringAsync());
        await Assertions.Expect(page.Locator("#campaign-playground progress")).ToHaveJSPropertyAsync("value", before + 1, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#campaign-playground")).ToHaveAttributeAsync("open", "");   // still open after the update
        await Assertions.Expect(playground).ToBeFocusedAsync();
    }

    [Fact]
    public async Task Wall_mode_is_dark_with_type_readable_from_across_the_room_at_1920_and_3840()
    {
        await using (var session = await f.OpenRoomAsync(browser, Viewport.Wall))
        {
            var page = session.Page;
            await page.GetByRole(AriaRole.Button, new() { Name = "벽면 표시" }).ClickAsync();
            await Assertions.Expect(page.Locator("body")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("wall"));
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "보통 표시" })).ToHaveAttributeAsync("aria-pressed", "true");
            Assert.Contains("wall=1", page.Url);
            // The legend folds, so it covers neither the map nor its credits (it stayed open over them before).
            await Assertions.Expect(page.Locator(".legend")).Not.ToHaveAttributeAsync("open", "");
            Assert.True(await page.EvaluateAsync<double>("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 23.5);
            Assert.Equal("rgb(14, 18, 21)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
            // Alarms first: the alarm panel is the left column.
            var alarms = await page.Locator("#alarms").BoundingBoxAsync();
            var map = await page.Locator("#map").BoundingBoxAsync();
            Assert.True(alarms!.X < map!.X, "the alarm panel is not left of the map");
            // At 1920 the type is the desk's 24 px: the map's dots and controls keep their desk size.
            Assert.Equal(3, await page.EvaluateAsync<double>("() => window.pajuRoom.map.getPaintProperty('catch_basin', 'circle-radius')"));
            Assert.Equal(29, (await page.Locator(".maplibregl-ctrl-zoom-in").BoundingBoxAsync())!.Width, 1.0);
            await WaitIdleAsync(session);
            await session.CheckScreenAsync("wall");
        }
        await using (var session = await f.OpenRoomAsync(browser, Viewport.Wall4K))
        {
            var page = session.Page;
            await session.GotoAsync("/?wall=1");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await page.EvaluateAsync<bool>("() => window.pajuRoom?.ready === true && document.body.classList.contains('wall')"))
            {
                Assert.True(DateTime.UtcNow < deadline, "The room did not open in wall mode from its address.");
                await Task.Delay(200);
            }
            Assert.True(await page.EvaluateAsync<double>("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 47);
            Assert.True(await page.EvaluateAsync<double>("() => parseFloat(getComputedStyle(document.querySelector('#alarms-title')).fontSize)") >= 70);
            await Assertions.Expect(page.Locator(".legend")).Not.ToHaveAttributeAsync("open", "");
            // The map grows with the type: dots and lines twice their desk size, the stations too, and the zoom buttons.
            Assert.Equal(6, await page.EvaluateAsync<double>("() => window.pajuRoom.map.getPaintProperty('catch_basin', 'circle-radius')"));
            Assert.Equal(5, await page.EvaluateAsync<double>("() => window.pajuRoom.map.getPaintProperty('outline', 'line-width')"));
            Assert.Contains("[\"*\",2,", await page.EvaluateAsync<string>("() => JSON.stringify(window.pajuRoom.map.getPaintProperty('playground', 'circle-radius'))"));
            Assert.True((await page.Locator(".maplibregl-ctrl-zoom-in").BoundingBoxAsync())!.Width >= 57, "the zoom buttons stayed at their desk size");
            await WaitIdleAsync(session);
            await session.CheckScreenAsync("wall");

            // Back at the desk size, the map is too.
            await page.GetByRole(AriaRole.Button, new() { Name = "보통 표시" }).ClickAsync();
            Assert.Equal(3, await page.EvaluateAsync<double>("() => window.pajuRoom.map.getPaintProperty('catch_basin', 'circle-radius')"));
        }
    }

    [Fact]
    public async Task A_playground_found_by_its_Korean_name_turns_closed_on_the_open_page_when_an_inspection_closes_it()
    {
        var code = await f.Db.ScalarAsync<string>("""
            SELECT a.code FROM asset a WHERE a.kind = 'playground' AND a.closed_at IS NULL AND NOT a.overdue AND a.admin_area_code = '4148056000'
            ORDER BY a.code LIMIT 1
            """);
        var name = await f.Db.ScalarAsync<string>("SELECT name FROM asset WHERE kind = 'playground' AND code = $1", code);
        await using var session = await f.OpenRoomAsync(browser, Viewport.Wall);
        var page = session.Page;

        // Found by the Korean words of its name (without the sample's label), picked with Enter: the map flies there, the panel opens.
        await using (await session.ExpectFailures("net::ERR_ABORTED"))
        {
            await page.GetByRole(AriaRole.Searchbox, new() { Name = "시설 찾기 (이름 또는 코드)" }).FillAsync(name.Replace("[샘플] ", ""));
            await Assertions.Expect(page.Locator("#search-results button").First).ToContainTextAsync(name);
            await page.Keyboard.PressAsync("Enter");
            var panel = page.GetByRole(AriaRole.Complementary, new() { Name = name });
            await Assertions.Expect(panel).ToBeVisibleAsync();
            await Assertions.Expect(panel.Locator(".asset-where")).ToContainTextAsync($"어린이 놀이시설 · {code} · 운정2동");
            await Assertions.Expect(panel.Locator(".asset-programs")).ToContainTextAsync("월 안전점검");
            await Assertions.Expect(panel.Locator(".asset-inspections li").First).ToContainTextAsync("어린이놀이시설 월 안전점검");
            await Assertions.Expect(panel.Locator(".asset-closed")).ToBeHiddenAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await page.EvaluateAsync<bool>("() => !window.pajuRoom.map.isMoving() && window.pajuRoom.map.getZoom() >= 15.9"))
            {
                Assert.True(DateTime.UtcNow < deadline, "The map did not fly to the found playground.");
                await Task.Delay(100);
            }
            await WaitIdleAsync(session);
        }
        Assert.False(await ClosedOnMapAsync(page, code));
        await session.CheckScreenAsync("asset-found");

        // An inspector closes it (이용금지) from a phone: on this open page the panel says so and the map's playground turns closed.
        using var phone = await f.ApiClientAsync();
        // The search takes LIKE's own characters as themselves, and says what it needs.
        Assert.Equal("[]", await phone.GetStringAsync("/api/assets/search?q=%25%25"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await phone.GetAsync("/api/assets/search?q=")).StatusCode);
        Assert.Contains(code, await phone.GetStringAsync($"/api/assets/search?q={code}"));
        var lon = await f.Db.ScalarAsync<double>("SELECT ST_X(geom) FROM asset WHERE kind = 'playground' AND code = $1", code);
        var lat = await f.Db.ScalarAsync<double>("SELECT ST_Y(geom) FROM asset WHERE kind = 'playground' AND code = $1", code);
        var check = Paju.Field.Tests.Inspections.InspectionFixture.Now(Paju.Field.Tests.Inspections.InspectionFixture.Monthly(code, grade: "이용금지",
            extraAnswers: new() { ["joints"] = "이용금지" }, notes: "그네 체인 파단"));
        check["position"] = new { lat, lon };
        var filed = await phone.PutAsJsonAsync($"/api/inspections/{Guid.NewGuid()}", check);
        Assert.True((int)filed.StatusCode == 201, await filed.Content.ReadAsStringAsync());
        var closedPanel = page.GetByRole(AriaRole.Complementary, new() { Name = name });
        await Assertions.Expect(closedPanel.Locator(".asset-closed")).ToContainTextAsync("이용금지 —", new() { Timeout = 30_000 });
        await Assertions.Expect(closedPanel.Locator(".asset-findings")).ToContainTextAsync("후속 조치");
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await ClosedOnMapAsync(page, code))
        {
            Assert.True(DateTime.UtcNow < until, "The playground did not turn closed on the open map.");
            await Task.Delay(200);
        }
        await WaitIdleAsync(session);
        var pixel = await PixelAtAsync(session, [lon, lat]);
        Assert.True(Near(pixel, "#b3261e"), $"a closed playground is red on the map, not {pixel}");
        await session.CheckScreenAsync("asset-closed");
    }

    private static Task<bool> ClosedOnMapAsync(IPage page, string code) => page.EvaluateAsync<bool>("""
        code => window.pajuRoom.map.querySourceFeatures('assets', { sourceLayer: 'playground' }).some(f => f.properties.code === code && f.properties.closed === true)
        """, code);

    private static async Task<SKColor> PixelAtAsync(WebSession session, double[] lngLat)
    {
        var point = await session.Page.EvaluateAsync<double[]>("at => { const p = window.pajuRoom.map.project(at); return [p.x, p.y]; }", lngLat);
        var box = await session.Page.Locator("#map").BoundingBoxAsync();
        var png = await session.Page.ScreenshotAsync(new() { Clip = new() { X = box!.X + (float)point[0] - 1, Y = box.Y + (float)point[1] - 1, Width = 3, Height = 3 } });
        using var bitmap = SKBitmap.Decode(png);
        return bitmap.GetPixel(1, 1);
    }

    [Fact]
    public async Task Upcoming_festivals_are_a_layer_and_a_month_list_where_an_overdue_safety_plan_stands_out()
    {
        // The sample's season has one event whose plan is overdue (its review required, still only registered).
        var code = await f.Db.ScalarAsync<string>("""
            SELECT a.code FROM event e JOIN asset a ON a.id = e.asset_id
            WHERE e.review_required AND e.state = 'registered' AND e.plan_due_on < (now() AT TIME ZONE 'Asia/Seoul')::date
            """);
        var monthsAhead = await f.Db.ScalarAsync<int>("""
            SELECT ((extract(year FROM e.starts_at AT TIME ZONE 'Asia/Seoul') - extract(year FROM now() AT TIME ZONE 'Asia/Seoul')) * 12
                  + extract(month FROM e.starts_at AT TIME ZONE 'Asia/Seoul') - extract(month FROM now() AT TIME ZONE 'Asia/Seoul'))::int
            FROM event e JOIN asset a ON a.id = e.asset_id WHERE a.code = $1
            """, code);
        await using var session = await f.OpenRoomAsync(browser, Viewport.Laptop);
        var page = session.Page;

        // On the map: upcoming and ongoing events only, the overdue plan marked as such.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await page.EvaluateAsync<bool>("""
            code => window.pajuRoom.map.querySourceFeatures('events').some(f => f.properties.code === code && f.properties.plan_overdue === true)
            """, code))
        {
            Assert.True(DateTime.UtcNow < deadline, "The overdue event is not on the map's event layer.");
            await Task.Delay(200);
        }
        Assert.False(await page.EvaluateAsync<bool>(
            "() => window.pajuRoom.map.querySourceFeatures('events').some(f => f.properties.state === 'closed')"), "a closed event of past years is on the map");

        // The list by month: to the event's month, where the overdue plan is said in words and marked.
        for (var i = 0; i < monthsAhead; i++)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "다음 달 행사" }).ClickAsync();
        }
        var row = page.Locator($"#events li[data-event='{code}']");
        await Assertions.Expect(row).ToContainTextAsync("계획서 기한 지남");
        await Assertions.Expect(row).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("overdue"));
        await Assertions.Expect(page.Locator("#events li.overdue")).ToHaveCountAsync(1);
        await row.Locator("button").ScrollIntoViewIfNeededAsync();
        await session.CheckScreenAsync("events-month");
        // The list is read again when an event changes (a review's step): a keyboard user on an event stays on it.
        await row.Locator("button").FocusAsync();
        await page.EvaluateAsync("() => window.pajuRoom.events.refresh()");
        await Assertions.Expect(row.Locator("button")).ToBeFocusedAsync();
        var at = await f.Db.ScalarAsync<double[]>("SELECT ARRAY[ST_X(geom), ST_Y(geom)] FROM asset WHERE kind = 'event' AND code = $1", code);
        // MapLibre cancels the tiles a flight leaves behind: those cancellations are its own, not failures.
        await using (await session.ExpectFailures("net::ERR_ABORTED"))
        {
            await row.Locator("button").ClickAsync();
            deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await page.EvaluateAsync<bool>("""
                at => { const m = window.pajuRoom.map, c = m.getCenter(); return !m.isMoving() && Math.abs(c.lng - at[0]) < 1e-4 && Math.abs(c.lat - at[1]) < 1e-4; }
                """, at))
            {
                Assert.True(DateTime.UtcNow < deadline, "The map did not fly to the event.");
                await Task.Delay(100);
            }
            await WaitIdleAsync(session);   // its tiles in before the page closes
        }
        await session.CheckScreenAsync("flown-to-event");
    }

    private static async Task WaitIdleAsync(WebSession session)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await session.Page.EvaluateAsync<bool>("() => window.pajuRoom.map.loaded() && window.pajuRoom.map.areTilesLoaded()"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The map did not settle within 60 s.");
            await Task.Delay(100);
        }
        await Task.Delay(300);   // a frame for feature-state to be drawn
    }
}
