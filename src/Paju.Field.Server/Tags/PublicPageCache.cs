using System.Collections.Concurrent;
using Npgsql;

namespace Paju.Field.Server.Tags;

/// <summary>A rendered public page: its bytes and the validator a browser sends back (If-None-Match).</summary>
public sealed record CachedPage(byte[] Html, string ETag);

/// <summary>
/// The plates' public pages as rendered, so a burst of scans (a school trip at one playground) costs no query. Entries are
/// keyed by tag and Seoul day (the monthly state turns at midnight); every change that could alter a page clears them all
/// — changes are rare next to reads, and a page is one query to render again. While the change feed is not being
/// listened to the cache is off, never stale.
/// </summary>
public sealed class PublicPageCache
{
    private const int MaxEntries = 50_000;
    private readonly ConcurrentDictionary<(string Tag, DateOnly Day), CachedPage> _pages = new();

    public volatile bool Listening;

    public bool TryGet(string tag, DateOnly day, out CachedPage page)
    {
        page = null!;
        return Listening && _pages.TryGetValue((tag, day), out page!);
    }

    public void Put(string tag, DateOnly day, CachedPage page)
    {
        if (!Listening)
        {
            return;
        }
        if (_pages.Count >= MaxEntries)
        {
            _pages.Clear();
        }
        _pages[(tag, day)] = page;
    }

    public void Clear() => _pages.Clear();
}

/// <summary>Clears <see cref="PublicPageCache"/> on every registry change (asset rows) and public-page change (checks, tags, managing bodies).</summary>
public sealed class PublicPageInvalidator(NpgsqlDataSource db, PublicPageCache cache, ILogger<PublicPageInvalidator> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, _) => cache.Clear();
                await using (var listen = new NpgsqlCommand("LISTEN registry_changed; LISTEN public_page_changed", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                cache.Clear();
                cache.Listening = true;
                log.LogInformation("Public page cache on: listening for changes");
                while (!stoppingToken.IsCancellationRequested)
                {
                    await conn.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                cache.Listening = false;
                cache.Clear();
                log.LogWarning("Public page cache off: lost the change feed ({Reason}); retrying in 5 s", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
        cache.Listening = false;
    }
}
