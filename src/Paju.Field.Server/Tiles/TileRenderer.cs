using System.Security.Cryptography;
using Npgsql;

namespace Paju.Field.Server.Tiles;

/// <summary>Cuts a tile with PostGIS, or serves it from the cache.</summary>
public sealed class TileRenderer(NpgsqlDataSource db, TileCache cache)
{
    /// <returns>The tile, and whether it came from the cache.</returns>
    public async Task<(RenderedTile Tile, bool Cached)> GetAsync(Tileset tileset, int z, int x, int y, CancellationToken ct)
    {
        var key = new TileKey(tileset.Id, z, x, y);
        if (cache.TryGet(key, out var cached))
        {
            return (cached, true);
        }
        var generation = cache.Generation;
        var bytes = await RenderAsync(db, tileset, z, x, y, ct);
        var tile = new RenderedTile(bytes, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 12))}\"");
        cache.Put(key, tile, generation);
        return (tile, false);
    }

    /// <summary>The tile straight from PostGIS: what an uncached request costs, and the benchmark's bare baseline.</summary>
    public static async Task<byte[]> RenderAsync(NpgsqlDataSource db, Tileset tileset, int z, int x, int y, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(TileSql.For(tileset, z));
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = z });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = x });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = y });
        return (byte[])(await cmd.ExecuteScalarAsync(ct))!;
    }
}
