using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// One test's browser tab: a fresh context (no cookies, storage or service workers from another
/// test) at a given screen size, Korean and in Seoul time. Every page that loads is photographed
/// under TestResults/screenshots/ and checked by axe; a serious or critical accessibility problem,
/// a console error, an uncaught exception, a failed request or an HTTP error fails the test when
/// the session ends — except inside <see cref="ExpectFailures"/>, for tests that go offline or
/// restart the server on purpose.
/// </summary>
public sealed partial class WebSession : IAsyncDisposable
{
    private readonly List<string> _failures = [];
    private readonly List<string> _expected = [];
    private readonly List<Task> _checks = [];
    private readonly SemaphoreSlim _checking = new(1, 1);
    private readonly string _screenshots;
    private readonly List<string[]> _expecting = [];
    private readonly HashSet<IRequest> _inFlight = [];
    private int _shots;
    private int _navigations;

    private WebSession(IBrowserContext context, IPage page, Viewport viewport, Uri baseAddress)
    {
        Context = context;
        Page = page;
        Viewport = viewport;
        BaseAddress = baseAddress;
        var test = TestContext.Current.Test?.TestCase;
        _screenshots = Path.Combine(SharedData.RepositoryRoot(), "TestResults", "screenshots",
            Slug(test?.TestClassName?.Split('.').Last() ?? "test"), Slug(CaseName(TestContext.Current.Test?.TestDisplayName, test?.TestMethodName)));
        Directory.CreateDirectory(_screenshots);
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public Viewport Viewport { get; }

    /// <summary>Scripts off: the page is photographed but axe, itself a script, cannot run (the same page is checked with scripts on).</summary>
    public bool ScriptsOff { get; private init; }

    public Uri BaseAddress { get; }

    /// <summary>Pages that were photographed and checked, in order.</summary>
    public List<string> Checked { get; } = [];

    /// <param name="javaScript">false: a browser with scripts off, as some phones and readers are; pages must still work.</param>
    public static async Task<WebSession> OpenAsync(Browser browser, Uri baseAddress, Viewport viewport, IBrowser? ownBrowser = null, bool javaScript = true)
    {
        var chromium = ownBrowser ?? await browser.SharedAsync();
        var context = await chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = viewport.Width, Height = viewport.Height },
            IsMobile = viewport.Phone,
            HasTouch = viewport.Phone,
            Locale = "ko-KR",
            TimezoneId = "Asia/Seoul",
            JavaScriptEnabled = javaScript,
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var session = new WebSession(context, page, viewport, baseAddress) { ScriptsOff = !javaScript };
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                session.Record($"console error: {m.Text} ({m.Location})");
            }
        };
        page.PageError += (_, e) => session.Record($"uncaught exception: {e}");
        page.Request += (_, r) => session.Track(r, started: true);
        page.RequestFinished += (_, r) => session.Track(r, started: false);
        page.RequestFailed += (_, r) =>
        {
            session.Record($"request failed: {r.Method} {r.Url}: {r.Failure}");
            session.Track(r, started: false);
        };
        page.Response += (_, r) =>
        {
            if (r.Status >= 400)
            {
                session.Record($"HTTP {r.Status}: {r.Request.Method} {r.Url}");
            }
        };
        page.FrameNavigated += (_, frame) =>
        {
            if (frame == page.MainFrame)
            {
                Interlocked.Increment(ref session._navigations);
            }
        };
        page.Load += (_, _) =>
        {
            lock (session._checks)
            {
                session._checks.Add(session.CheckPageAsync());
            }
        };
        return session;
    }

    /// <summary>Opens a path and waits until the page was photographed and checked.</summary>
    public async Task<IResponse?> GotoAsync(string path)
    {
        var response = await Page.GotoAsync(path);
        await SettleAsync();
        return response;
    }

    /// <summary>Waits for the checks of every page loaded so far.</summary>
    public async Task SettleAsync()
    {
        Task[] pending;
        lock (_checks)
        {
            pending = [.. _checks];
        }
        await Task.WhenAll(pending);
    }

    /// <summary>
    /// Failures that contain one of <paramref name="expected"/> (e.g. "request failed", "/api/sync") are
    /// allowed while the returned scope is open — for tests that go offline or restart the server on
    /// purpose — and kept in <see cref="ExpectedFailures"/>. Any other failure still fails the test.
    /// </summary>
    public async Task<IAsyncDisposable> ExpectFailures(params string[] expected)
    {
        if (expected.Length == 0)
        {
            throw new ArgumentException("Say which failures are expected: a text each contains.", nameof(expected));
        }
        await FlushEventsAsync();
        lock (_failures)
        {
            _expecting.Add(expected);
        }
        return new Scope(this, expected);
    }

    public IReadOnlyList<string> ExpectedFailures
    {
        get
        {
            lock (_failures)
            {
                return [.. _expected];
            }
        }
    }

    /// <summary>The unexpected failures so far, and forget them (for tests of this harness itself).</summary>
    public async Task<List<string>> TakeFailuresAsync()
    {
        await FlushEventsAsync();
        lock (_failures)
        {
            var taken = _failures.ToList();
            _failures.Clear();
            return taken;
        }
    }

    /// <summary>Grants location and places the phone at a point, as its GPS would report it.</summary>
    public async Task PlaceAtAsync(double latitude, double longitude, double accuracyMetres = 10)
    {
        await Context.GrantPermissionsAsync(["geolocation"], new BrowserContextGrantPermissionsOptions { Origin = BaseAddress.GetLeftPart(UriPartial.Authority) });
        await Context.SetGeolocationAsync(new Geolocation { Latitude = (float)latitude, Longitude = (float)longitude, Accuracy = (float)accuracyMetres });
    }

    public Task SetOfflineAsync(bool offline) => Context.SetOfflineAsync(offline);

    /// <summary>A slow network through the DevTools protocol: one bar of signal is about 400 ms and 400 kbit/s.</summary>
    public async Task ThrottleAsync(int latencyMs, int downloadKbps, int uploadKbps)
    {
        var cdp = await Context.NewCDPSessionAsync(Page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = latencyMs,
            ["downloadThroughput"] = downloadKbps * 1000 / 8,
            ["uploadThroughput"] = uploadKbps * 1000 / 8,
        });
    }

    /// <summary>Runs a script in every page before the page's own scripts (fakes of NDEFReader, BarcodeDetector …).</summary>
    public Task InjectAsync(string script) => Context.AddInitScriptAsync(script);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await SettleAsync();
            await FlushEventsAsync();
        }
        finally
        {
            await Context.CloseAsync();
        }
        List<string> failures;
        lock (_failures)
        {
            failures = [.. _failures];
        }
        Assert.True(failures.Count == 0, $"The browser reported {failures.Count} problem(s) on {Viewport}:\n" + string.Join("\n", failures));
    }

    private void Record(string what)
    {
        lock (_failures)
        {
            var expected = _expecting.Any(patterns => patterns.Any(p => what.Contains(p, StringComparison.Ordinal)));
            (expected ? _expected : _failures).Add(what);
        }
    }

    /// <summary>
    /// Network and browser-log events travel on the same connection as replies, so one round trip delivers
    /// those raised before it. (A page script's own console.error may come later, after its arguments
    /// are previewed: a test that expects one waits for it with RunAndWaitForConsoleMessageAsync.)
    /// </summary>
    private async Task FlushEventsAsync()
    {
        if (!Page.IsClosed)
        {
            try
            {
                await Page.EvaluateAsync("1");
            }
            catch (PlaywrightException)
            {
                // Navigating right now: the events raised before are delivered all the same.
            }
        }
    }

    /// <summary>Photographs and checks the screen as it is now — for an app that changes screens without loading a page.</summary>
    public Task CheckScreenAsync(string name) => CheckPageAsync(name);

    private async Task CheckPageAsync(string? name = null)
    {
        await _checking.WaitAsync();
        var url = Page.Url;
        var navigation = Volatile.Read(ref _navigations);
        try
        {
            var shot = Interlocked.Increment(ref _shots);
            await ShootAsync(Path.Combine(_screenshots, $"{shot:00}-{Viewport.Name}-{Slug(new Uri(url).AbsolutePath + (name is null ? "" : "-" + name))}.png"), navigation);
            var axe = ScriptsOff ? null : await Page.RunAxe();
            foreach (var violation in axe?.Violations.Where(v => v.Impact is "serious" or "critical") ?? [])
            {
                Record($"accessibility ({violation.Impact}) {violation.Id} on {url}: {violation.Help} — " +
                       string.Join("; ", violation.Nodes.Take(3).Select(n => n.Html)));
            }
            lock (Checked)
            {
                Checked.Add(url);
            }
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException
                                  && (Page.IsClosed || Volatile.Read(ref _navigations) != navigation
                                      || e.Message.Contains("because of a navigation", StringComparison.Ordinal)))
        {
            // Left before it could be checked (a redirect straight on): the page it went to is checked instead.
        }
        finally
        {
            _checking.Release();
        }
    }

    /// <summary>
    /// The whole page as a PNG. On a busy machine Chromium's compositor sometimes has no frame for a full-page shot of a
    /// WebGL map ("Unable to capture screenshot"), or draws a wall's frame slower than the first try waits: a tool's
    /// hiccup, not the page's fault — so once more with longer, then the viewport alone. A page that navigated away
    /// mid-shot is not tried again: the caller sees it left.
    /// </summary>
    private async Task ShootAsync(string path, int navigation)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Page.ScreenshotAsync(new PageScreenshotOptions
                {
                    Path = path,
                    FullPage = attempt < 2,
                    // A page the test navigates away from mid-shot stalls the screenshot: the first try gives up sooner.
                    Timeout = attempt == 0 ? 10_000 : 60_000,
                });
                return;
            }
            catch (PlaywrightException e) when (attempt < 2 && e.Message.Contains("Unable to capture screenshot", StringComparison.Ordinal))
            {
                await Task.Delay(500);
            }
            catch (TimeoutException) when (attempt < 2 && !Page.IsClosed && Volatile.Read(ref _navigations) == navigation)
            {
            }
        }
    }

    /// <summary>The method and, for a theory, its arguments: each case keeps its own screenshots.</summary>
    private static string CaseName(string? displayName, string? method)
    {
        var arguments = displayName?.IndexOf('(') is > 0 and var open ? displayName[open..] : "";
        return (method ?? "page") + arguments;
    }

    private static string Slug(string text)
    {
        var slug = NonWord().Replace(text.Trim('/'), "-").Trim('-');
        return slug.Length == 0 ? "root" : slug[..Math.Min(slug.Length, 120)];
    }

    [GeneratedRegex("[^A-Za-z0-9가-힣_]+")]
    private static partial Regex NonWord();

    private void Track(IRequest request, bool started)
    {
        lock (_inFlight)
        {
            _ = started ? _inFlight.Add(request) : _inFlight.Remove(request);
        }
    }

    /// <summary>
    /// Waits for the requests under way to finish or fail. A request a test's route handler aborted just before
    /// the scope closed is reported by the browser's network side, which one round trip to the page does not
    /// order — so its failure could otherwise arrive after the scope and count as unexpected. Streams that stay
    /// open (event sources) are not waited for, and nothing is waited for longer than <paramref name="limit"/>.
    /// </summary>
    private async Task SettleRequestsAsync(TimeSpan limit)
    {
        IRequest[] pending;
        lock (_inFlight)
        {
            pending = [.. _inFlight.Where(r => r.ResourceType is not ("eventsource" or "websocket"))];
        }
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < limit)
        {
            lock (_inFlight)
            {
                if (!pending.Any(_inFlight.Contains))
                {
                    return;
                }
            }
            await Task.Delay(25);
        }
    }

    private sealed class Scope(WebSession session, string[] expected) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await session.SettleRequestsAsync(TimeSpan.FromSeconds(10));
            await session.FlushEventsAsync();
            lock (session._failures)
            {
                session._expecting.Remove(expected);
            }
        }
    }
}
