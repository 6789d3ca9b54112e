using System.Collections.Concurrent;

namespace Paju.Field.Server.Tiles;

/// <summary>
/// Rendered tiles in memory, evicted exactly where the registry changed (see <see cref="TileInvalidator"/>).
/// Nothing is cached until the invalidator listens, so no change can slip by unnoticed.
/// </summary>
public sealed class TileCache(TileOptions options)
{
    private const double WorldHalf = 20037508.342789244;
    private const int MaxTilesPerZoomForRangeEviction = 4096;

    private readonly ConcurrentDictionary<TileKey, RenderedTile> _tiles = new();
    private readonly long _maxBytes = options.CacheMegabytes * 1024 * 1024;
    private long _bytes;
    private long _generation;

    public bool Enabled { get; } = options.CacheEnabled;

    /// <summary>Set by the invalidator once it listens for changes; cleared when it loses the connection.</summary>
    public volatile bool Listening;

    public int Count => _tiles.Count;

    /// <summary>
    /// Bumped before each batch of evictions. A tile rendered from a snapshot older than a change
    /// must not be cached after that change's eviction ran: Put is refused when the generation moved
    /// while the tile was being rendered.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

    public void BeginInvalidation() => Interlocked.Increment(ref _generation);

    public bool TryGet(TileKey key, out RenderedTile tile)
    {
        tile = null!;
        return Enabled && Listening && _tiles.TryGetValue(key, out tile!);
    }

    public void Put(TileKey key, RenderedTile tile, long renderedAtGeneration)
    {
        if (!Enabled || !Listening || Generation != renderedAtGeneration)
        {
            return;
        }
        if (Interlocked.Add(ref _bytes, tile.Bytes.Length) > _maxBytes)
        {
            Clear();
            Interlocked.Add(ref _bytes, tile.Bytes.Length);
        }
        _tiles[key] = tile;
    }

    public void Clear()
    {
        BeginInvalidation();
        _tiles.Clear();
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>
    /// Evicts every cached tile, of every tileset showing <paramref name="kind"/>, whose drawn area
    /// (the tile plus its buffer, plus one cluster cell at cluster zooms) touches the box (EPSG:3857).
    /// </summary>
    public void Evict(string kind, double minX, double minY, double maxX, double maxY)
    {
        var tilesets = TileCatalog.Tilesets.Where(t => t.Layers.Any(l => l.Kind == kind)).Select(t => t.Id).ToArray();
        for (var z = 0; z <= TileCatalog.MaxZoom; z++)
        {
            var size = 2 * WorldHalf / (1 << z);
            var pad = size * TileCatalog.Buffer / TileCatalog.Extent + (z < TileCatalog.RawMinZoom ? size / TileCatalog.CellsPerTile : 0);
            var x0 = TileIndex(minX - pad + WorldHalf, size, z);
            var x1 = TileIndex(maxX + pad + WorldHalf, size, z);
            var y0 = TileIndex(WorldHalf - (maxY + pad), size, z);
            var y1 = TileIndex(WorldHalf - (minY - pad), size, z);
            if ((long)(x1 - x0 + 1) * (y1 - y0 + 1) > MaxTilesPerZoomForRangeEviction)
            {
                // A large box at a deep zoom: scan what is cached at this zoom instead of every tile it covers.
                foreach (var key in _tiles.Keys.Where(k => k.Z == z && k.X >= x0 && k.X <= x1 && k.Y >= y0 && k.Y <= y1 && tilesets.Contains(k.Tileset)))
                {
                    Remove(key);
                }
                continue;
            }
            foreach (var tileset in tilesets)
            {
                for (var x = x0; x <= x1; x++)
                {
                    for (var y = y0; y <= y1; y++)
                    {
                        Remove(new TileKey(tileset, z, x, y));
                    }
                }
            }
        }
    }

    private void Remove(TileKey key)
    {
        if (_tiles.TryRemove(key, out var removed))
        {
            Interlocked.Add(ref _bytes, -removed.Bytes.Length);
        }
    }

    private static int TileIndex(double offset, double size, int z) => Math.Clamp((int)Math.Floor(offset / size), 0, (1 << z) - 1);
}
