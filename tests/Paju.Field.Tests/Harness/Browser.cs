using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Paju.Field.Tests.Harness.Browser))]

namespace Paju.Field.Tests.Harness;

/// <summary>
/// One Chromium for the whole test run — Debian's own (/usr/bin/chromium), never a downloaded one —
/// started on first use, so a run without browser tests starts none. Each test gets a fresh
/// context from it (<see cref="WebSession"/>). A camera test gets a browser of its own, because the
/// fake camera's image is a launch flag.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    // Without the background-networking flags Chromium keeps dialling Google's hosts, which this
    // machine's closed network refuses; SwiftShader gives WebGL (MapLibre) without a GPU.
    private static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader", "--lang=ko-KR",
    ];

    private readonly SemaphoreSlim _start = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public ValueTask InitializeAsync()
    {
        // Tests wait for what a person would see, generously: a loaded CI machine is slow, never wrong.
        Assertions.SetDefaultExpectTimeout(60_000);
        return ValueTask.CompletedTask;
    }

    public async Task<IBrowser> SharedAsync()
    {
        await _start.WaitAsync();
        try
        {
            return _browser ??= await LaunchAsync([]);
        }
        finally
        {
            _start.Release();
        }
    }

    /// <summary>A browser whose camera shows <paramref name="mjpegOrY4m"/> (a JPEG file named .mjpeg is a one-frame video); dispose it after the test.</summary>
    public Task<IBrowser> WithFakeCameraAsync(string mjpegOrY4m) => LaunchAsync(
    [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", $"--use-file-for-fake-video-capture={mjpegOrY4m}",
    ]);

    private async Task<IBrowser> LaunchAsync(string[] extra)
    {
        Requires.Tool("chromium", "apt-get install chromium fonts-noto-cjk");
        _playwright ??= await Playwright.CreateAsync();
        return await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = [.. Flags, .. extra],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
    }
}
