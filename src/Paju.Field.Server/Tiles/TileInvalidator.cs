using Npgsql;

namespace Paju.Field.Server.Tiles;

/// <summary>
/// Listens for registry changes (NOTIFY registry_changed from the asset triggers), reads the
/// change log, and evicts exactly the cached tiles each changed asset touches. While it is not
/// listening the cache is off, and it is cleared whenever listening (re)starts, because changes
/// made meanwhile were not seen. Every server instance runs its own, so scale-out stays correct.
/// </summary>
public sealed class TileInvalidator(NpgsqlDataSource db, TileCache cache, ILogger<TileInvalidator> log) : BackgroundService
{
    /// <summary>Past this many changes at once (a bulk import) clearing the cache is cheaper than evicting tile by tile.</summary>
    private const int ClearAbove = 20_000;
    private static readonly TimeSpan KeepChanges = TimeSpan.FromHours(1);

    private long _lastChangeId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!cache.Enabled)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                await ExecuteAsync(conn, "LISTEN registry_changed", stoppingToken);
                _lastChangeId = await LastChangeIdAsync(conn, stoppingToken);
                cache.Clear();
                cache.Listening = true;
                log.LogInformation("Tile cache on: listening for registry changes");
                var lastPrune = DateTime.UtcNow;
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Wakes on a notification, or every minute to prune the change log.
                    await conn.WaitAsync(TimeSpan.FromMinutes(1), stoppingToken);
                    await ApplyChangesAsync(conn, stoppingToken);
                    if (DateTime.UtcNow - lastPrune > TimeSpan.FromMinutes(10))
                    {
                        await ExecuteAsync(conn, $"DELETE FROM tile_change WHERE at < now() - interval '{(int)KeepChanges.TotalMinutes} minutes'", stoppingToken);
                        lastPrune = DateTime.UtcNow;
                    }
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
                log.LogWarning("Tile cache off: lost the registry change feed ({Reason}); retrying in 5 s", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    private async Task ApplyChangesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT id, kind, minx, miny, maxx, maxy FROM tile_change WHERE id > $1 ORDER BY id LIMIT {ClearAbove + 1}", conn)
        {
            Parameters = { new() { Value = _lastChangeId } },
        };
        var changes = new List<(string Kind, double MinX, double MinY, double MaxX, double MaxY)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                _lastChangeId = reader.GetInt64(0);
                changes.Add((reader.GetString(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)));
            }
        }
        if (changes.Count == 0)
        {
            return;
        }
        cache.BeginInvalidation();
        if (changes.Count > ClearAbove)
        {
            cache.Clear();
            _lastChangeId = await LastChangeIdAsync(conn, ct);
            log.LogInformation("Tile cache cleared after more than {Count:N0} registry changes at once", ClearAbove);
            return;
        }
        foreach (var c in changes)
        {
            cache.Evict(c.Kind, c.MinX, c.MinY, c.MaxX, c.MaxY);
        }
    }

    private static async Task<long> LastChangeIdAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT coalesce(max(id), 0) FROM tile_change", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
