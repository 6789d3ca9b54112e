using System.Text.Json;
using Paju.Field.Server.Import;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Import;

/// <summary>
/// The importer's CRSs, through PostGIS: the city's 20 representative points published in UTM-K
/// land on their WGS84 positions; the 5186 and 5174 vectors of the domain reference round-trip;
/// and the mistakes Korean files carry are named, with the likely CRS.
/// </summary>
public sealed class CoordinateSystemTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private CoordinateCheck Check => new(database.DataSource);

    [Fact]
    public async Task The_twenty_points_given_in_utm_k_land_within_a_metre_of_their_wgs84_positions()
    {
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(SharedData.Path("paju-emd-points-2023.geojson")));
        var features = file.RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(20, features.Count);
        var utmk = features.Select(f => (f.GetProperty("properties").GetProperty("x_epsg5179").GetDouble(), f.GetProperty("properties").GetProperty("y_epsg5179").GetDouble())).ToList();
        var transformed = await Check.ToWgs84Async(CoordinateSystems.UtmK, utmk, default);
        for (var i = 0; i < features.Count; i++)
        {
            var position = features[i].GetProperty("geometry").GetProperty("coordinates");
            var metres = await database.ScalarAsync<double>("SELECT ST_Distance(ST_MakePoint($1, $2)::geography, ST_MakePoint($3, $4)::geography)",
                transformed[i].Lon, transformed[i].Lat, position[0].GetDouble(), position[1].GetDouble());
            Assert.True(metres < 1, $"{features[i].GetProperty("properties").GetProperty("name")}: {metres:F2} m off");
        }
    }

    public static TheoryData<string, double, double, double, double, double, double> Vectors => new()
    {
        // unit, lat, lon (domain reference), x/y 5186, x/y 5174 as PostGIS 3.3 / PROJ 9.1 give them
        { "문산읍", 37.87289, 126.77797, 180464.9, 585915.0, 180395.7, 485610.4 },
        { "파주읍", 37.82896, 126.81899, 184064.4, 581031.4, 183995.1, 480726.7 },
        { "법원읍", 37.87105, 126.89629, 190875.1, 585692.6, 190805.9, 485387.8 },
        { "조리읍", 37.75262, 126.82566, 184635.9, 572556.2, 184566.5, 472251.5 },
        { "월롱면", 37.79989, 126.77891, 180528.3, 577812.3, 180458.9, 477507.7 },
        { "탄현면", 37.80028, 126.70607, 174113.6, 577873.0, 174044.2, 477568.4 },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task The_5186_and_5174_vectors_round_trip_within_ten_centimetres(string unit, double lat, double lon, double x5186, double y5186, double x5174, double y5174)
    {
        // The reference's lat/lon have five decimals (±0.6 m): compare projected to projected through WGS84.
        var (wlon, wlat) = (await Check.ToWgs84Async(CoordinateSystems.CentralBelt2010, [(x5186, y5186)], default))[0];
        Assert.True(Math.Abs(wlon - lon) < 1e-5 && Math.Abs(wlat - lat) < 1e-5, $"{unit}: 5186 lands at {wlat:F6}, {wlon:F6}");
        var (bx, by) = await Check.FromWgs84Async(CoordinateSystems.BesselCentral, wlon, wlat, default);
        Assert.True(Math.Abs(bx - x5174) < 0.1 && Math.Abs(by - y5174) < 0.1, $"{unit}: 5186 → 5174 gives {bx:F2}, {by:F2}");
        var (blon, blat) = (await Check.ToWgs84Async(CoordinateSystems.BesselCentral, [(x5174, y5174)], default))[0];
        var (rx, ry) = await Check.FromWgs84Async(CoordinateSystems.CentralBelt2010, blon, blat, default);
        Assert.True(Math.Abs(rx - x5186) < 0.1 && Math.Abs(ry - y5186) < 0.1, $"{unit}: 5174 → 5186 gives {rx:F2}, {ry:F2}");
    }

    [Fact]
    public async Task A_point_inside_paju_as_given_passes_and_swapped_axes_are_named()
    {
        var inside = await Check.DiagnoseAsync(CoordinateSystems.Wgs84, 126.77797, 37.87289, default);
        Assert.Equal(CoordinateVerdict.Inside, inside.Verdict);

        var swapped = await Check.DiagnoseAsync(CoordinateSystems.Wgs84, 37.87289, 126.77797, default);
        Assert.Equal(CoordinateVerdict.Swapped, swapped.Verdict);
        Assert.Contains("위도와 경도가 바뀐", swapped.Reason);
    }

    [Fact]
    public async Task Projected_numbers_in_a_lon_lat_file_are_named_with_the_likely_crs()
    {
        var utmk = await Check.DiagnoseAsync(CoordinateSystems.Wgs84, 936498, 1986143, default);
        Assert.Equal(CoordinateVerdict.ProjectedInGeographic, utmk.Verdict);
        Assert.Contains("EPSG:5179", utmk.Reason);

        var belt = await Check.DiagnoseAsync(CoordinateSystems.Wgs84, 180464.9, 585915.0, default);
        Assert.Equal(CoordinateVerdict.ProjectedInGeographic, belt.Verdict);
        Assert.Contains("EPSG:5186", belt.Reason);
    }

    [Fact]
    public async Task A_false_northing_100_km_off_is_named_as_such()
    {
        // 문산읍 in 5174 (false northing 500,000) declared as 5186 (600,000): 100 km south of Paju.
        var slipped = await Check.DiagnoseAsync(CoordinateSystems.CentralBelt2010, 180395.7, 485610.4, default);
        Assert.Equal(CoordinateVerdict.FalseNorthingOff, slipped.Verdict);
        Assert.Contains("100 km", slipped.Reason);
        Assert.Contains("EPSG:5174", slipped.Reason);

        // And the other way: a 5186 file declared as 5181.
        var other = await Check.DiagnoseAsync(CoordinateSystems.CentralBelt, 180464.9, 585915.0, default);
        Assert.Equal(CoordinateVerdict.FalseNorthingOff, other.Verdict);
        Assert.Contains("EPSG:5186", other.Reason);
    }

    [Fact]
    public async Task Coordinates_outside_paju_however_read_are_outside_and_unknown_crs_is_refused_with_the_list()
    {
        // Seoul City Hall.
        var seoul = await Check.DiagnoseAsync(CoordinateSystems.Wgs84, 126.9779, 37.5663, default);
        Assert.Equal(CoordinateVerdict.Outside, seoul.Verdict);
        Assert.Contains("파주시 밖", seoul.Reason);

        var e = Assert.Throws<ImportException>(() => CoordinateSystems.Parse("EPSG:2097"));
        Assert.Contains("EPSG:5186", e.Message);
        Assert.Equal(5179, CoordinateSystems.Parse("epsg:5179").Srid);
        Assert.Equal(3857, CoordinateSystems.Parse("3857").Srid);
    }
}
