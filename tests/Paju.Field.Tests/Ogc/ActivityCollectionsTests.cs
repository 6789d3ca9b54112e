using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Paju.Field.Calendar;
using Paju.Field.Server.Database;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ogc;

/// <summary>The inspections and check-ins as read-only OGC API collections: for signed-in roles, filtered by time and asset, read by GDAL.</summary>
public sealed partial class ActivityCollectionsTests(OgcFixture ogc) : IClassFixture<OgcFixture>
{
    [Theory]
    [InlineData("inspections")]
    [InlineData("checkins")]
    public async Task Without_sign_in_the_collection_is_refused_and_not_listed(string collection)
    {
        using var anonymous = ogc.Anonymous();
        var refused = await anonymous.GetAsync($"/ogc/collections/{collection}/items");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var listed = await OgcFixture.JsonAsync(await anonymous.GetAsync("/ogc/collections"));
        Assert.DoesNotContain(listed.GetProperty("collections").EnumerateArray(), c => c.GetProperty("id").GetString() == collection);

        using var signedIn = ogc.SignedIn();
        var all = await OgcFixture.JsonAsync(await signedIn.GetAsync("/ogc/collections"));
        Assert.Contains(all.GetProperty("collections").EnumerateArray(), c => c.GetProperty("id").GetString() == collection);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await signedIn.PostAsync($"/ogc/collections/{collection}/items", new StringContent("{}"))).StatusCode);
    }

    [Fact]
    public async Task This_months_inspections_of_one_playground_are_what_PostGIS_holds_with_their_receipts_at_the_playground()
    {
        var code = await ogc.Db.ScalarAsync<string>("""
            SELECT a.code FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE i.program = 'playground-monthly'
            GROUP BY a.code ORDER BY count(*) DESC, a.code LIMIT 1
            """);
        var month = SeoulCalendar.MonthOf(DateTimeOffset.UtcNow);
        var (from, to) = (SeoulCalendar.StartOfDay(month.AddMonths(-3)), SeoulCalendar.StartOfDay(month.AddMonths(1)));
        using var signedIn = ogc.SignedIn();

        var page = await OgcFixture.JsonAsync(await signedIn.GetAsync(
            $"/ogc/collections/inspections/items?asset_code={code}&datetime={from.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}/{to.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}&limit=100"));

        var expected = await ogc.Db.ScalarAsync<long>("""
            SELECT count(*) FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code = $1 AND i.finished_at >= $2 AND i.finished_at <= $3
            """, code, from.ToUniversalTime(), to.ToUniversalTime());
        Assert.InRange(expected, 2, 5);
        Assert.Equal(expected, page.GetProperty("numberMatched").GetInt64());
        var features = page.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(expected, features.Count);
        var receipts = await ogc.Db.ScalarAsync<string[]>("SELECT array_agg(i.receipt) FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code = $1", code);
        var (lon, lat) = (await ogc.Db.ScalarAsync<double>("SELECT ST_X(geom) FROM asset WHERE code = $1", code),
                          await ogc.Db.ScalarAsync<double>("SELECT ST_Y(geom) FROM asset WHERE code = $1", code));
        foreach (var feature in features)
        {
            var p = feature.GetProperty("properties");
            Assert.Contains(p.GetProperty("receipt").GetString(), receipts);
            Assert.Equal("어린이놀이시설 월 안전점검", p.GetProperty("program_name").GetString());
            Assert.Equal("[샘플] 점검원", p.GetProperty("inspector").GetString());
            Assert.Equal(JsonValueKind.Number, feature.GetProperty("id").ValueKind);
            var c = feature.GetProperty("geometry").GetProperty("coordinates");
            Assert.Equal(lon, c[0].GetDouble(), 6);   // at the inspected playground, to the API's 7 decimals
            Assert.Equal(lat, c[1].GetDouble(), 6);
        }
        // One inspection by its feature id, as a client follows a link.
        var id = features[0].GetProperty("id").GetInt64();
        var one = await OgcFixture.JsonAsync(await signedIn.GetAsync($"/ogc/collections/inspections/items/{id}"));
        Assert.Equal(features[0].GetProperty("properties").GetProperty("receipt").GetString(), one.GetProperty("properties").GetProperty("receipt").GetString());
        // A time that is not one is refused with the reason, not ignored.
        var refused = await signedIn.GetAsync("/ogc/collections/inspections/items?datetime=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("datetime", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Gdal_reads_the_check_ins_where_the_phones_were()
    {
        var asset = await ogc.Db.ScalarAsync<long>("SELECT id FROM asset WHERE kind = 'playground' ORDER BY code LIMIT 1");
        var user = await ogc.Db.ScalarAsync<long>("SELECT id FROM app_user WHERE username = 'ogc.viewer'");
        await ogc.Db.ExecuteAsync("""
            INSERT INTO checkin (client_id, user_id, uid, method, ts, received_at, position, accuracy_m, asset_id, status, proof, distance_m)
            SELECT gen_random_uuid(), $2, '04A1B2C3D4E5F' || n, m, now() - n * interval '1 hour', now(), ST_SetSRID(ST_MakePoint(126.78 + n * 0.001, 37.76), 4326), 8, $1,
                   CASE WHEN n = 3 THEN 'flagged' ELSE 'verified' END, 'signature', 5 + n
            FROM unnest(ARRAY['qr', 'url', 'nfc'], ARRAY[1, 2, 3]) AS t(m, n)
            """, asset, user);
        var expected = await ogc.Db.ScalarAsync<long>("SELECT count(*) FROM checkin");

        var headerFile = Path.Combine(TempDirectory.Create("paju-gdal-"), "headers.txt");
        await File.WriteAllTextAsync(headerFile, $"Authorization: Bearer {ogc.ViewerToken}\n");
        var ogrinfo = Requires.Tool("ogrinfo", "apt-get install gdal-bin");
        var result = await ProcessRunner.RunAsync(ogrinfo, ["-ro", "-al", "-q", "OAPIF:" + ogc.OgcUrl, "checkins"],
            environment: new Dictionary<string, string> { ["GDAL_HTTP_TIMEOUT"] = "60", ["GDAL_HTTP_HEADER_FILE"] = headerFile },
            ct: TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, $"ogrinfo failed: {result.Explanation}");
        Assert.Equal(expected, FeatureLine().Matches(result.StandardOutput).Count);
        Assert.Contains("status (String) = flagged", result.StandardOutput);
        Assert.Contains("person (String) = 열람자", result.StandardOutput);
        Assert.Contains("POINT (126.783 37.76)", result.StandardOutput);
    }

    [GeneratedRegex(@"^OGRFeature\(checkins\):\d+$", RegexOptions.Multiline)]
    private static partial Regex FeatureLine();
}
