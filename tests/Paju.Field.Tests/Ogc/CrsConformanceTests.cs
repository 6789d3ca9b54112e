using System.Net;
using System.Text.Json;

namespace Paju.Field.Tests.Ogc;

/// <summary>
/// OGC API – Features Part 2 (crs). Checked over HTTP because GDAL 3.6 has no Part 2. The vectors
/// are domain facts: 문산읍 (37.87289 N, 126.77797 E) is x 180464.9, y 585915.0 in EPSG:5186 and
/// x 936498, y 1986143 in EPSG:5179; those CRSs list northing first, so the response is [y, x].
/// </summary>
public sealed class CrsConformanceTests(OgcFixture ogc) : IClassFixture<OgcFixture>
{
    private const string Epsg = "http://www.opengis.net/def/crs/EPSG/0/";

    private async Task<(JsonElement Coordinates, string? ContentCrs)> MunsanIn(string crs)
    {
        using var client = ogc.Anonymous();
        var response = await client.GetAsync($"/ogc/collections/drainage_structure/items/{ogc.MunsanId}?crs={Uri.EscapeDataString(crs)}");
        var feature = await OgcFixture.JsonAsync(response);
        return (feature.GetProperty("geometry").GetProperty("coordinates"), response.Headers.TryGetValues("Content-Crs", out var v) ? v.Single() : null);
    }

    [Fact]
    public async Task EPSG_5186_output_matches_the_domain_vector_in_northing_easting_order()
    {
        var (xy, contentCrs) = await MunsanIn(Epsg + "5186");
        Assert.Equal($"<{Epsg}5186>", contentCrs);
        Assert.Equal(585915.0, xy[0].GetDouble(), 0.1);   // northing
        Assert.Equal(180464.9, xy[1].GetDouble(), 0.1);   // easting
    }

    [Fact]
    public async Task EPSG_5179_output_matches_the_published_UTM_K_point()
    {
        var (xy, _) = await MunsanIn(Epsg + "5179");
        Assert.Equal(OgcFixture.MunsanY5179, xy[0].GetDouble(), 0.01);
        Assert.Equal(OgcFixture.MunsanX5179, xy[1].GetDouble(), 0.01);
    }

    [Fact]
    public async Task EPSG_4326_is_lat_lon_and_CRS84_is_lon_lat()
    {
        var (latLon, _) = await MunsanIn(Epsg + "4326");
        Assert.Equal(OgcFixture.MunsanLat, latLon[0].GetDouble(), 1e-5);
        Assert.Equal(OgcFixture.MunsanLon, latLon[1].GetDouble(), 1e-5);

        var (lonLat, contentCrs) = await MunsanIn("http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        Assert.Equal("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", contentCrs);
        Assert.Equal(OgcFixture.MunsanLon, lonLat[0].GetDouble(), 1e-5);
        Assert.Equal(OgcFixture.MunsanLat, lonLat[1].GetDouble(), 1e-5);
    }

    [Fact]
    public async Task Collections_list_their_CRSs_and_storage_CRS()
    {
        using var client = ogc.Anonymous();
        var collection = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections/playground"));
        var crs = collection.GetProperty("crs").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Contains("http://www.opengis.net/def/crs/OGC/1.3/CRS84", crs);
        Assert.Contains(Epsg + "4326", crs);
        Assert.Contains(Epsg + "5186", crs);
        Assert.Contains(Epsg + "5179", crs);
        Assert.Equal("http://www.opengis.net/def/crs/OGC/1.3/CRS84", collection.GetProperty("storageCrs").GetString());
    }

    [Fact]
    public async Task A_bbox_in_EPSG_5186_selects_what_the_same_area_selects_in_CRS84()
    {
        using var client = ogc.Anonymous();
        // 2 km around 문산읍's point, as northing/easting in 5186 …
        var projected = await OgcFixture.JsonAsync(await client.GetAsync(
            $"/ogc/collections/playground/items?limit=1000&bbox-crs={Uri.EscapeDataString(Epsg + "5186")}&bbox=583915,178464.9,587915,182464.9"));
        // … and what PostGIS says lies in that square.
        var expected = await ogc.Db.ScalarAsync<long>("""
            SELECT count(*) FROM asset WHERE kind = 'playground' AND status = 'active'
              AND ST_Intersects(ST_Transform(geom, 5186), ST_MakeEnvelope(178464.9, 583915, 182464.9, 587915, 5186))
            """);
        Assert.True(expected > 0);
        Assert.Equal(expected, projected.GetProperty("numberMatched").GetInt64());
    }

    [Fact]
    public async Task An_unknown_CRS_is_a_400_naming_the_offered_ones()
    {
        using var client = ogc.Anonymous();
        var response = await client.GetAsync($"/ogc/collections/playground/items?crs={Uri.EscapeDataString(Epsg + "2097")}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("5186", await response.Content.ReadAsStringAsync());
    }
}
