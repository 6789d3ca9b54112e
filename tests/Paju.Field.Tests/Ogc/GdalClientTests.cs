using System.Text.RegularExpressions;
using Paju.Field.Server.Database;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ogc;

/// <summary>
/// A real client: GDAL's OAPIF driver (Debian's GDAL 3.6, what QGIS builds on) reads the API as
/// planners' desktops will.
/// </summary>
public sealed partial class GdalClientTests(OgcFixture ogc) : IClassFixture<OgcFixture>
{
    private static string Ogrinfo => Requires.Tool("ogrinfo", "apt-get install gdal-bin");

    private async Task<string> OgrinfoAsync(IEnumerable<string> arguments, bool signedIn = false)
    {
        var env = new Dictionary<string, string> { ["GDAL_HTTP_TIMEOUT"] = "60", ["CPL_DEBUG"] = "OFF" };
        if (signedIn)
        {
            var headerFile = Path.Combine(TempDirectory.Create("paju-gdal-"), "headers.txt");
            await File.WriteAllTextAsync(headerFile, $"Authorization: Bearer {ogc.ViewerToken}\n");
            env["GDAL_HTTP_HEADER_FILE"] = headerFile;
        }
        var result = await ProcessRunner.RunAsync(Ogrinfo, ["-ro", .. arguments], environment: env, ct: TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded, $"ogrinfo failed: {result.Explanation}");
        return result.StandardOutput;
    }

    [Fact]
    public async Task Ogrinfo_lists_every_collection()
    {
        var anonymous = await OgrinfoAsync(["OAPIF:" + ogc.OgcUrl]);
        var signedIn = await OgrinfoAsync(["OAPIF:" + ogc.OgcUrl], signedIn: true);

        foreach (var id in Paju.Field.Assets.AssetKinds.All.Append("admin_areas"))
        {
            Assert.Contains($": {id} ", signedIn);
        }
        Assert.DoesNotContain(": pump ", anonymous);   // restricted: hidden from anonymous clients
        Assert.Contains(": playground ", anonymous);
    }

    [Fact]
    public async Task Ogrinfo_reads_all_719_playgrounds_with_their_attributes()
    {
        var output = await OgrinfoAsync(["-al", "-q", "OAPIF:" + ogc.OgcUrl, "playground"]);

        Assert.Equal(719, FeatureLine().Matches(output).Count);
        Assert.Contains("facility_no (String) = S000001", output);
        Assert.Contains("grade (String) = 양호", output);
        Assert.Contains("install_place (String) =", output);
        Assert.Matches(@"POINT \(126\.\d+ 37\.\d+\)", output);
    }

    [Fact]
    public async Task Ogrinfo_with_a_spatial_filter_returns_exactly_what_PostGIS_counts()
    {
        var output = await OgrinfoAsync(["-al", "-q", "-spat", "126.70", "37.70", "126.80", "37.78", "OAPIF:" + ogc.OgcUrl, "playground"]);

        var expected = await ogc.Db.ScalarAsync<long>("""
            SELECT count(*) FROM asset
            WHERE kind = 'playground' AND status = 'active'
              AND ST_Intersects(geom, ST_MakeEnvelope(126.70, 37.70, 126.80, 37.78, 4326))
            """);
        Assert.True(expected > 100, "the box should hold a good share of the sample");
        Assert.Equal(expected, FeatureLine().Matches(output).Count);
    }

    [GeneratedRegex(@"^OGRFeature\(playground\):\d+$", RegexOptions.Multiline)]
    private static partial Regex FeatureLine();
}
