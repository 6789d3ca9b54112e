using Microsoft.Playwright;

namespace Paju.Field.Bench;

/// <summary>Debian's Chromium for the page benchmarks, started as the tests start it: headless, WebGL on SwiftShader.</summary>
public static class BenchBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>False, with the install line on stderr, when there is no Chromium to measure with.</summary>
    public static bool IsAvailable()
    {
        if (File.Exists(ChromiumPath))
        {
            return true;
        }
        Console.Error.WriteLine("Chromium is not installed: apt-get install chromium fonts-noto-cjk");
        return false;
    }

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ChromiumPath,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--enable-unsafe-swiftshader", "--lang=ko-KR"],
    });
}
