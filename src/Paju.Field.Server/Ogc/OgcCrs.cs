namespace Paju.Field.Server.Ogc;

/// <summary>
/// The coordinate reference systems served (OGC API Features Part 2). Axis order follows the
/// authority: CRS84 is lon/lat; EPSG:4326 is lat/lon; EPSG:5186 and 5179 are northing/easting
/// (X north, Y east, as the EPSG registry defines them). Storage is PostGIS EPSG:4326 in lon/lat,
/// i.e. CRS84 order.
/// </summary>
public sealed record OgcCrs(string Uri, int Srid, bool FlipAxes, bool IsGeographic, string Title)
{
    public const string Crs84Uri = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

    public static readonly OgcCrs Crs84 = new(Crs84Uri, 4326, false, true, "WGS 84 (lon/lat)");

    public static readonly IReadOnlyList<OgcCrs> Supported =
    [
        Crs84,
        new("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, true, true, "WGS 84 (lat/lon)"),
        new("http://www.opengis.net/def/crs/EPSG/0/5186", 5186, true, false, "Korea 2000 / Central Belt 2010"),
        new("http://www.opengis.net/def/crs/EPSG/0/5179", 5179, true, false, "Korea 2000 / Unified CS (UTM-K)"),
    ];

    public static OgcCrs? Find(string uri) =>
        Supported.FirstOrDefault(c => string.Equals(c.Uri, uri.Trim(), StringComparison.OrdinalIgnoreCase))
        // Also accept the short CURIE forms clients send, e.g. [EPSG:5186].
        ?? Supported.FirstOrDefault(c => string.Equals(ShortName(c), uri.Trim().Trim('[', ']'), StringComparison.OrdinalIgnoreCase));

    private static string ShortName(OgcCrs crs) => crs.Uri == Crs84Uri ? "OGC:CRS84" : $"EPSG:{crs.Srid}";

    /// <summary>Coordinates for the client, from geometry stored in EPSG:4326 lon/lat.</summary>
    public string OutputGeometrySql(string storedGeometry)
    {
        var projected = Srid == 4326 ? storedGeometry : $"ST_Transform({storedGeometry}, {Srid})";
        return FlipAxes ? $"ST_FlipCoordinates({projected})" : projected;
    }

    /// <summary>Decimal places that keep about 1 cm: 7 for degrees, 2 for metres.</summary>
    public int Decimals => IsGeographic ? 7 : 2;
}
