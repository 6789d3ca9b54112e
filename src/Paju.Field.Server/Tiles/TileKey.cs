namespace Paju.Field.Server.Tiles;

public readonly record struct TileKey(string Tileset, int Z, int X, int Y)
{
    public static bool InRange(int z, int x, int y) =>
        z is >= 0 and <= TileCatalog.MaxZoom && x >= 0 && y >= 0 && x < 1 << z && y < 1 << z;
}

/// <summary>A rendered tile: its bytes (empty when no feature is in it) and an ETag of them.</summary>
public sealed record RenderedTile(byte[] Bytes, string ETag);
