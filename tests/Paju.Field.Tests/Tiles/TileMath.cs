namespace Paju.Field.Tests.Tiles;

/// <summary>Web Mercator tile arithmetic for the tests (XYZ scheme, y down).</summary>
public static class TileMath
{
    public const double WorldHalf = 20037508.342789244;

    public static (int X, int Y) TileOf(double lon, double lat, int z)
    {
        var n = 1 << z;
        var x = (int)Math.Floor((lon + 180) / 360 * n);
        var latRad = lat * Math.PI / 180;
        var y = (int)Math.Floor((1 - Math.Log(Math.Tan(latRad) + 1 / Math.Cos(latRad)) / Math.PI) / 2 * n);
        return (x, y);
    }

    public static (double X, double Y) LonLatTo3857(double lon, double lat) =>
        (lon * WorldHalf / 180, Math.Log(Math.Tan((90 + lat) * Math.PI / 360)) * WorldHalf / Math.PI);

    /// <summary>The EPSG:3857 point at pixel (px, py) of tile z/x/y with the given extent (y down).</summary>
    public static (double X, double Y) PixelTo3857(int z, int x, int y, double px, double py, int extent = 4096)
    {
        var size = 2 * WorldHalf / (1 << z);
        return (-WorldHalf + x * size + px * size / extent, WorldHalf - y * size - py * size / extent);
    }
}
