namespace Paju.Field.Geography;

/// <summary>
/// The configured fallback extent of Paju in WGS84, used to reject coordinates that cannot be
/// in the city when no 읍면동 polygons are loaded (domain facts: 37.68–38.00 N, 126.65–127.03 E).
/// A small margin keeps assets on the boundary itself inside.
/// </summary>
public static class PajuExtent
{
    public const double MinLon = 126.64;
    public const double MinLat = 37.67;
    public const double MaxLon = 127.04;
    public const double MaxLat = 38.01;

    public static bool Contains(double lon, double lat) =>
        lon is >= MinLon and <= MaxLon && lat is >= MinLat and <= MaxLat;
}
