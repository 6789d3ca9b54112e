using Microsoft.Playwright;

namespace Paju.Field.Tests.Harness;

/// <summary>The browser harness itself: what it catches, and that each of its fakes reaches the page.</summary>
public sealed class BrowserHarnessTests(WebFixture web, Browser browser) : IClassFixture<WebFixture>
{
    private Task<WebSession> OpenAsync(Viewport? viewport = null, IBrowser? own = null) =>
        WebSession.OpenAsync(browser, web.BaseAddress, viewport ?? Viewport.PhoneSmall, own);

    [Fact]
    public async Task A_console_error_or_failed_request_is_caught_unless_it_was_expected()
    {
        await using var session = await OpenAsync();
        await session.GotoAsync("/login");

        await session.Page.RunAndWaitForConsoleMessageAsync(() => session.Page.EvaluateAsync("console.error('이 오류는 잡혀야 합니다')"));
        await session.Page.RunAndWaitForResponseAsync(() => session.Page.EvaluateAsync("fetch('/no-such-path')"), r => r.Url.EndsWith("/no-such-path", StringComparison.Ordinal));
        var caught = await session.TakeFailuresAsync();
        Assert.Contains(caught, f => f.Contains("이 오류는 잡혀야 합니다", StringComparison.Ordinal));
        Assert.Contains(caught, f => f.StartsWith("HTTP 404", StringComparison.Ordinal));

        await using (await session.ExpectFailures("예상한 오류"))
        {
            await session.Page.RunAndWaitForConsoleMessageAsync(() => session.Page.EvaluateAsync("console.error('예상한 오류')"));
            await session.Page.RunAndWaitForConsoleMessageAsync(() => session.Page.EvaluateAsync("console.error('예상하지 않은 오류')"));
        }
        Assert.Equal(["예상하지 않은 오류"], (await session.TakeFailuresAsync()).Select(f => f.Split(": ")[1].Split(" (")[0]));
        Assert.Contains(session.ExpectedFailures, f => f.Contains("예상한 오류", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Going_offline_fails_requests_inside_an_expected_block_and_coming_back_works()
    {
        await using var session = await OpenAsync();
        await session.GotoAsync("/login");

        await using (await session.ExpectFailures("request failed: GET", "/health"))
        {
            await session.SetOfflineAsync(true);
            Assert.Equal("offline", await session.Page.EvaluateAsync<string>("fetch('/health').then(() => 'online', () => 'offline')"));
            await session.SetOfflineAsync(false);
        }
        Assert.Contains(session.ExpectedFailures, f => f.StartsWith("request failed", StringComparison.Ordinal));
        Assert.Equal(200, await session.Page.EvaluateAsync<int>("fetch('/health').then(r => r.status)"));
    }

    [Fact]
    public async Task A_throttled_network_still_delivers()
    {
        await using var session = await OpenAsync();
        await session.GotoAsync("/login");
        await session.ThrottleAsync(latencyMs: 400, downloadKbps: 400, uploadKbps: 100);

        await session.GotoAsync("/");
        await Assertions.Expect(session.Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("정상");
    }

    [Fact]
    public async Task The_phone_is_placed_where_the_test_says()
    {
        await using var session = await OpenAsync();
        await session.PlaceAtAsync(37.7599, 126.7802, accuracyMetres: 8);   // 파주시청
        await session.GotoAsync("/login");

        var position = await session.Page.EvaluateAsync<double[]>("""
            new Promise((ok, fail) => navigator.geolocation.getCurrentPosition(
              p => ok([p.coords.latitude, p.coords.longitude, p.coords.accuracy]), fail))
            """);
        Assert.Equal(37.7599, position[0], 4);
        Assert.Equal(126.7802, position[1], 4);
        Assert.Equal(8, position[2], 1);
    }

    [Fact]
    public async Task Injected_fakes_give_a_desktop_browser_Web_NFC_and_BarcodeDetector()
    {
        await using var session = await OpenAsync();
        await session.InjectAsync(BrowserFakes.NdefReader);
        await session.InjectAsync(BrowserFakes.BarcodeDetector);
        await session.GotoAsync("/login");

        var read = await session.Page.EvaluateAsync<string[]>("""
            (async () => {
              const reader = new NDEFReader();
              const got = new Promise(ok => reader.addEventListener('reading', e =>
                ok([e.serialNumber, new TextDecoder().decode(e.message.records[0].data)])));
              await reader.scan();
              window.__paju.tap('https://safety.paju.go.kr/t/PG-0001?s=abc', '04:11:22:33:44:55:66');
              return await got;
            })()
            """);
        Assert.Equal(["04:11:22:33:44:55:66", "https://safety.paju.go.kr/t/PG-0001?s=abc"], read);

        var decoded = await session.Page.EvaluateAsync<string>("""
            (async () => {
              window.__paju.show('https://safety.paju.go.kr/t/PG-0002');
              const codes = await new BarcodeDetector({ formats: ['qr_code'] }).detect(document.body);
              return codes[0].rawValue;
            })()
            """);
        Assert.Equal("https://safety.paju.go.kr/t/PG-0002", decoded);
    }

    [Fact]
    public async Task The_fake_camera_shows_the_image_it_was_given()
    {
        // An image of a known size: a screenshot of the sign-in page, as a one-frame MJPEG.
        var image = Path.Combine(Path.GetTempPath(), $"paju-camera-{Guid.NewGuid():N}.mjpeg");
        await using (var shooter = await OpenAsync(new Viewport("camera", 320, 240, false)))
        {
            await shooter.GotoAsync("/login");
            await shooter.Page.ScreenshotAsync(new PageScreenshotOptions { Path = image, Type = ScreenshotType.Jpeg });
        }
        var camera = await browser.WithFakeCameraAsync(image);
        try
        {
            await using var session = await OpenAsync(own: camera);
            await session.Context.GrantPermissionsAsync(["camera"]);
            await session.GotoAsync("/login");
            var size = await session.Page.EvaluateAsync<int[]>("""
                (async () => {
                  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
                  const settings = stream.getVideoTracks()[0].getSettings();
                  stream.getTracks().forEach(t => t.stop());
                  return [settings.width, settings.height];
                })()
                """);
            Assert.Equal([320, 240], size);   // Chromium's own fake camera is 640×480
        }
        finally
        {
            await camera.CloseAsync();
            File.Delete(image);
        }
    }
}
