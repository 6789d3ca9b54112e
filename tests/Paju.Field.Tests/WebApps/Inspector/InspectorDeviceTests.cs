using Microsoft.Playwright;
using Paju.Field.Calendar;
using Paju.Field.Server.Compliance;
using Paju.Field.Tests.Harness;
using SkiaSharp;
using static Paju.Field.Tests.WebApps.Inspector.InspectorAppFixture;

namespace Paju.Field.Tests.WebApps.Inspector;

/// <summary>
/// The inspector app with a phone's hardware on a 360×800 screen: an NFC tap (a faked NDEFReader carrying a real SUN URL),
/// a plate's printed QR code through Chromium's fake camera (the WASM decoder, and a faked BarcodeDetector), photos resized on
/// the phone with their EXIF time and place kept, and 이용금지 decided on the spot.
/// </summary>
public sealed class InspectorDeviceTests(InspectorAppFixture f, Browser browser) : IClassFixture<InspectorAppFixture>
{
    private const string NoPhoneHardware = "delete window.NDEFReader; delete window.BarcodeDetector;";

    [Fact]
    public async Task An_NFC_tap_with_a_SUN_URL_checks_in_verified_and_the_same_URL_again_is_shown_as_a_replay()
    {
        var tag = await f.NewSunTagAsync("PG-A3", "04A2241A6D5E80", counter: 5);
        await using var session = await f.OpenAppAsync(browser, null, "PG-A3", BrowserFakes.NdefReader);
        var page = session.Page;

        await page.GetByRole(AriaRole.Button, new() { Name = "태그 읽기 (NFC)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#plate-status")).ToContainTextAsync("휴대폰 뒷면을 표지의 태그에 대세요");
        await session.CheckScreenAsync("nfc-waiting");
        var url = tag.Tap();
        Assert.Equal(1, await page.EvaluateAsync<int>("url => window.__paju.tap(url)", url));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 3");
        await Assertions.Expect(page.Locator("#checkin-state")).ToContainTextAsync("체크인 확인됨");
        await session.CheckScreenAsync("nfc-verified");
        // The URL reached the server exactly as read (its picc_data and cmac), with the chip's serial number as the UID.
        Assert.Equal("nfc/sun/verified/04A2241A6D5E80", await f.Db.ScalarAsync<string>(
            "SELECT method || '/' || proof || '/' || status || '/' || uid FROM checkin WHERE url = $1", url));

        // The same URL again (a copy, or a tag that did not count up) is refused and the screen says why.
        await page.EvaluateAsync("() => { location.hash = '#/'; }");
        await page.GetByRole(AriaRole.Button, new() { Name = "태그 읽기 (NFC)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#plate-status")).ToContainTextAsync("대세요");
        await page.EvaluateAsync("url => window.__paju.tap(url)", url);
        await Assertions.Expect(page.Locator("#checkin-state")).ToContainTextAsync("체크인 인정 안 됨");
        await Assertions.Expect(page.Locator("#checkin-state")).ToContainTextAsync("이미 한 번 쓰인 태그 주소입니다");
        // Nothing was proved: the checklist is offered without the check-in, not resting on a refused one.
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "체크인 없이 점검" }).First).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "점검 시작" }).CountAsync());
        await session.CheckScreenAsync("nfc-replay");
        Assert.Equal(2L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM checkin WHERE url = $1", url));

        // A tag that is not a plate, and NFC refused: said in Korean, with what to do.
        await page.EvaluateAsync("() => { location.hash = '#/'; }");
        await page.GetByRole(AriaRole.Button, new() { Name = "태그 읽기 (NFC)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#plate-status")).ToContainTextAsync("대세요");
        await page.EvaluateAsync("() => window.__paju.tap('https://shop.example.com/product/42')");
        await Assertions.Expect(page.Locator("#plate-status [role=alert]")).ToContainTextAsync("파주 현장안전 표지가 아닙니다");
        await page.EvaluateAsync("() => { window.__paju.nfcDenied = true; }");
        await page.GetByRole(AriaRole.Button, new() { Name = "태그 읽기 (NFC)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#plate-status [role=alert]")).ToContainTextAsync("NFC 사용을 허용하지 않았습니다");
        await session.CheckScreenAsync("nfc-denied");
    }

    /// <summary>The plate of <paramref name="code"/> as `paju tag issue` prints it, held up to a 1280×720 camera (a one-frame MJPEG).</summary>
    private async Task<string> CameraSeeingPlateAsync(string code)
    {
        var output = TempDirectory.Create("paju-plates-");
        var issued = await PajuCli.RunAsync(["tag", "issue", "--kind", "playground", "--out", output, "--db", f.Db.ConnectionString,
            "--data", f.Server.DataDirectory, "--public-base-url", f.Server.BaseAddress.ToString().TrimEnd('/')]);
        Assert.True(issued.Succeeded, issued.Explanation);
        var png = Directory.GetFiles(Path.Combine(output, "plates"), $"{code}-{f.Plates[code].Id}.png").Single();
        using var plate = SKImage.FromEncodedData(png);
        using var surface = SKSurface.Create(new SKImageInfo(1280, 720));
        surface.Canvas.Clear(new SKColor(0x6B, 0x70, 0x5C));   // a wall behind the plate
        var scale = 660f / plate.Height;
        var width = plate.Width * scale;
        surface.Canvas.DrawImage(plate, SKRect.Create((1280 - width) / 2, 30, width, 660), new SKSamplingOptions(SKFilterMode.Linear));
        using var image = surface.Snapshot();
        using var jpeg = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        var file = Path.Combine(output, "camera.mjpeg");
        await File.WriteAllBytesAsync(file, jpeg.ToArray());
        return file;
    }

    [Fact]
    public async Task Without_NFC_or_BarcodeDetector_the_camera_reads_a_printed_plate_with_the_WASM_decoder_served_here()
    {
        await using var camera = await browser.WithFakeCameraAsync(await CameraSeeingPlateAsync("PG-A2"));
        await using var session = await f.OpenAppAsync(browser, camera, "PG-A2", NoPhoneHardware);
        await session.Context.GrantPermissionsAsync(["camera"], new() { Origin = f.Server.BaseAddress.GetLeftPart(UriPartial.Authority) });
        var page = session.Page;
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);

        // No Web NFC here: the button is not offered; the QR path and the plate's own link still are.
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "QR 스캔" })).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "태그 읽기 (NFC)" }).CountAsync());
        await session.CheckScreenAsync("plate-readers-without-nfc");
        await page.GetByRole(AriaRole.Link, new() { Name = "QR 스캔" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 2", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#checkin-state")).ToContainTextAsync("체크인 확인됨");
        Assert.Equal("wasm", await page.EvaluateAsync<string>("() => document.documentElement.dataset.qrDecoder"));
        await session.CheckScreenAsync("qr-wasm-checked-in");
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("""
            SELECT count(*) FROM checkin c JOIN asset a ON a.id = c.asset_id
            WHERE a.code = 'PG-A2' AND c.method = 'qr' AND c.proof = 'signature' AND c.status = 'verified'
            """));
        // The decoder's WebAssembly came from this server (or its cache), never from a CDN; nothing went elsewhere.
        Assert.Contains(requests, r => r.StartsWith(f.Server.BaseAddress + "assets/vendor/zxing-reader-", StringComparison.Ordinal) && r.EndsWith(".wasm", StringComparison.Ordinal));
        Assert.All(requests, r => Assert.True(r.StartsWith(f.Server.BaseAddress.ToString(), StringComparison.Ordinal) || r.StartsWith("blob:", StringComparison.Ordinal), r));

        // The plate's link opened by the phone's own camera app still opens the app.
        await session.GotoAsync(new Uri(f.PlateUrl("PG-A5")).PathAndQuery);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 5");
    }

    [Fact]
    public async Task A_BarcodeDetector_reads_the_plate_and_a_code_that_is_not_a_plate_is_said_so()
    {
        await using var camera = await browser.WithFakeCameraAsync(await CameraSeeingPlateAsync("PG-A4"));
        await using var session = await f.OpenAppAsync(browser, camera, "PG-A4", BrowserFakes.BarcodeDetector);
        await session.Context.GrantPermissionsAsync(["camera"], new() { Origin = f.Server.BaseAddress.GetLeftPart(UriPartial.Authority) });
        var page = session.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "QR 스캔" }).ClickAsync();
        await Assertions.Expect(page.Locator("#scan-status")).ToContainTextAsync("가운데에 맞추세요");
        await page.EvaluateAsync("() => window.__paju.show('8801234567890')");
        await Assertions.Expect(page.Locator("#scan-status")).ToContainTextAsync("표지가 아닌 코드입니다");
        await session.CheckScreenAsync("qr-not-a-plate");
        await page.EvaluateAsync("url => window.__paju.show(url)", f.PlateUrl("PG-A4"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("앱 시험 놀이터 4");
        await Assertions.Expect(page.Locator("#checkin-state")).ToContainTextAsync("체크인 확인됨");
        Assert.Equal("native", await page.EvaluateAsync<string>("() => document.documentElement.dataset.qrDecoder"));
    }

    [Fact]
    public async Task Photos_are_resized_on_the_phone_and_keep_their_EXIF_time_and_place_else_the_phones()
    {
        var takenAt = new DateTimeOffset(2026, 11, 30, 14, 5, 9, TimeSpan.FromHours(9));
        const double exifLat = 37.76123, exifLon = 126.78456;
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        await page.EvaluateAsync("() => { location.hash = '#/inspect/playground/PG-A6/playground-monthly'; }");
        await FillMonthlyAsync(page);
        // A camera's photo without EXIF (4032×3024), and a large one with EXIF time and GPS.
        await page.GetByLabel("사진 찍기 (카메라)").SetInputFilesAsync(Photo("camera.jpg", TestPhotos.Camera()));
        await page.GetByLabel("사진 더하기").SetInputFilesAsync(Photo("exif.jpg", TestPhotos.Jpeg(1_500_000, takenAt, exifLat, exifLon, seed: 7)));
        var lines = page.Locator(".photo-lines li");
        await Assertions.Expect(lines.Nth(0)).ToContainTextAsync("camera.jpg: 1600×1200");
        await Assertions.Expect(lines.Nth(0)).ToContainTextAsync("휴대폰의 시각·위치");
        await Assertions.Expect(lines.Nth(1)).ToContainTextAsync("사진 정보(EXIF)의 시각·위치");
        await Assertions.Expect(lines.Nth(1)).ToContainTextAsync("에서 줄임");
        await session.CheckScreenAsync("photos-ready");
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 60_000 });

        var id = await f.Db.ScalarAsync<Guid>("SELECT i.id FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code = 'PG-A6' ORDER BY i.received_at DESC LIMIT 1");
        var photos = await f.Db.ScalarAsync<string>("""
            SELECT string_agg(source || '/' || round(ST_Y(position)::numeric, 5) || ',' || round(ST_X(position)::numeric, 5) || '/'
                              || (bytes <= 512000) || '/' || media_type || '/' || (exif_position IS NULL), ' ' ORDER BY source)
            FROM inspection_photo WHERE inspection_id = $1 AND received_at IS NOT NULL
            """, id);
        // Both arrived as JPEGs of at most 500 KB; the resized copies carry no EXIF, so the place is the one announced:
        // the photo's own GPS for the one that had it, the phone's position for the camera's.
        Assert.Equal($"device/{InspectorAppFixture.Lat:F5},{InspectorAppFixture.Lon:F5}/true/image/jpeg/true exif/{exifLat:F5},{exifLon:F5}/true/image/jpeg/true", photos);
        Assert.Equal(takenAt.UtcDateTime, await f.Db.ScalarAsync<DateTime>("SELECT taken_at FROM inspection_photo WHERE inspection_id = $1 AND source = 'exif'", id));
    }

    /// <summary>A JPEG whose EXIF says "rotate 90° clockwise to view" (Orientation 6), as a phone held upright writes it.</summary>
    private static byte[] Sideways(byte[] jpeg)
    {
        // APP1: "Exif\0\0", a big-endian TIFF header, IFD0 with the one entry Orientation (0x0112, SHORT) = 6.
        byte[] tiff = [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
        byte[] payload = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        byte[] segment = [0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)((payload.Length + 2) & 0xFF), .. payload];
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }

    [Fact]
    public async Task A_photo_taken_with_the_phone_upright_is_sent_upright()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        await page.EvaluateAsync("() => { location.hash = '#/inspect/playground/PG-A5/playground-monthly'; }");
        // Stored 640×480 with Orientation 6: seen upright it is 480 wide and 640 high, and small enough to keep its size.
        await page.GetByLabel("사진 찍기 (카메라)").SetInputFilesAsync(Photo("upright.jpg", Sideways(TestPhotos.Camera(640, 480))));
        await Assertions.Expect(page.Locator(".photo-lines li").First).ToContainTextAsync("upright.jpg: 480×640");
    }

    [Fact]
    public async Task Closing_a_playground_on_the_spot_asks_for_the_sign_photo_and_shows_the_statutory_follow_ups_with_their_dates()
    {
        await using var session = await f.OpenAppAsync(browser);
        var page = session.Page;
        await page.EvaluateAsync("() => { location.hash = '#/inspect/playground/PG-A1/playground-monthly'; }");
        await FillMonthlyAsync(page, "이용금지");
        var closure = page.Locator("#closure");
        await Assertions.Expect(closure).ToBeVisibleAsync();
        await Assertions.Expect(closure).ToContainTextAsync("입구에 사유를 적은 이용금지 안내문");
        // The dates the phone shows are the server's own rule, counted from today in Seoul.
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(DateTimeOffset.UtcNow).DateTime);
        var expected = ComplianceEffects.FollowUps(today).Select(u => $"{u.Kind}={u.Due:yyyy-MM-dd}").ToList();
        var shown = await page.Locator("#follow-ups li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.kind + '=' + i.dataset.due)");
        Assert.Equal(expected, shown);
        await Assertions.Expect(page.Locator("#follow-ups li").First).ToContainTextAsync("오늘 바로 관리감독기관에 지체 없이 통보");
        await session.CheckScreenAsync("closure-on-the-spot");

        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#form-errors")).ToContainTextAsync("이용금지 안내문 사진이 필요합니다");
        await page.GetByLabel("입구에 붙인 이용금지 안내문 사진 (필수)").SetInputFilesAsync(Photo("sign.jpg", TestPhotos.Jpeg(80_000, seed: 21)));
        await Assertions.Expect(closure.Locator(".photo-lines li")).ToContainTextAsync("sign.jpg");
        await page.GetByRole(AriaRole.Button, new() { Name = "제출 (보관함에 넣고 보냄)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#outbox li").First).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 60_000 });

        var id = await f.Db.ScalarAsync<Guid>("SELECT i.id FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code = 'PG-A1' ORDER BY i.received_at DESC LIMIT 1");
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM inspection_photo WHERE inspection_id = $1 AND purpose = 'closure_sign' AND received_at IS NOT NULL", id));
        var stored = await f.Db.ScalarAsync<string[]>("SELECT array_agg(kind || '=' || to_char(due_on, 'YYYY-MM-DD') ORDER BY due_on, id) FROM follow_up WHERE inspection_id = $1", id);
        Assert.Equal(expected.Order(), stored.Order());
    }
}
