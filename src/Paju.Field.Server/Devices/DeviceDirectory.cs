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
    private DateTime _loadedAt = DateTime.MinValue;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly ConcurrentDictionary<(string, string), bool> _verified = new();

    public async Task<Device?> FindAsync(string deviceId, CancellationToken ct)
    {
        if (DateTime.UtcNow - _loadedAt > MaxAge || !_devices.ContainsKey(deviceId))
        {
            await ReloadAsync(ct);
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

    public async Task ReloadAsync(CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            _devices = (await DeviceStore.ListAsync(conn, ct)).ToDictionary(d => d.DeviceId);
            _loadedAt = DateTime.UtcNow;
        }
        finally
        {
            _reload.Release();
        }
    }
}
