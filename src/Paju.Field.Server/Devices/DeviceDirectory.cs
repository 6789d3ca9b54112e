using System.Collections.Concurrent;
using Npgsql;

namespace Paju.Field.Server.Devices;

/// <summary>
/// The devices the broker and the ingest know, kept in memory and reloaded when an unknown id shows
/// up (a device added while running) or every 30 s (a rotation or a disable elsewhere).
/// </summary>
public sealed class DeviceDirectory(NpgsqlDataSource db)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);
    private volatile Dictionary<string, Device> _devices = [];
    private DateTime _loadedAt = DateTime.MinValue;   // when the last finished read began
    private readonly SemaphoreSlim _reload = new(1, 1);
    private long _reads;
    private long _lastGoodRead;   // the number of the last read that succeeded; written under _reload
    private readonly ConcurrentDictionary<(string, string), bool> _verified = new();

    /// <summary>How many reads of the devices from the database have begun.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public async Task<Device?> FindAsync(string deviceId, CancellationToken ct)
    {
        if (DateTime.UtcNow - _loadedAt > MaxAge || !_devices.ContainsKey(deviceId))
        {
            await ReloadAsync(Interlocked.Read(ref _reads), ct);
        }
        return _devices.GetValueOrDefault(deviceId);
    }

    /// <summary>The enabled device or service account with this password, or null.</summary>
    public async Task<Device?> AuthenticateAsync(string username, string password, CancellationToken ct)
    {
        var device = await FindAsync(username, ct);
        if (device is null || device.Disabled)
        {
            return null;
        }
        // A verified (hash, password) pair is remembered: a reconnect storm after an outage costs no PBKDF2.
        var key = (device.SecretHash, password);
        if (!_verified.TryGetValue(key, out var ok))
        {
            ok = MosquittoPassword.Verify(password, device.SecretHash);
            if (ok)
            {
                _verified[key] = true;
            }
        }
        return ok ? device : null;
    }

    /// <summary>The sites of the registered (enabled) devices, read fresh from the database.</summary>
    public async Task<IReadOnlySet<string>> SitesAsync(CancellationToken ct)
    {
        await ReloadAsync(ct);
        return _devices.Values.Where(d => d.Role == DeviceStore.DeviceRole && !d.Disabled).Select(d => d.Site).ToHashSet(StringComparer.Ordinal);
    }

    public Task ReloadAsync(CancellationToken ct) => ReloadAsync(Interlocked.Read(ref _reads), ct);

    /// <summary>
    /// Reads the devices again, once for all who asked together: when the cache ages out under load, a thousand messages
    /// or reconnecting devices ask at once, and each would otherwise read the whole table in turn (a worker draining a
    /// backlog fell to 150 messages a second that way). <paramref name="readsWhenAsked"/> is how many reads had begun when
    /// the caller asked: if one begun since has succeeded (reads run one at a time), it saw everything the caller could
    /// want, and the caller does not read again.
    /// </summary>
    private async Task ReloadAsync(long readsWhenAsked, CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            if (_lastGoodRead > readsWhenAsked)
            {
                return;
            }
            var startedAt = DateTime.UtcNow;
            var read = Interlocked.Increment(ref _reads);
            await using var conn = await db.OpenConnectionAsync(ct);
            _devices = (await DeviceStore.ListAsync(conn, ct)).ToDictionary(d => d.DeviceId);
            _loadedAt = startedAt;   // as old as the read's start: what changed during it is read next time
            _lastGoodRead = read;    // a read that failed answers nobody: the next in line reads again
        }
        finally
        {
            _reload.Release();
        }
    }
}
