using System.Net;
using System.Text.Json;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ogc;

/// <summary>OGC API – Features Part 1, conformance classes core and geojson.</summary>
public sealed class CoreConformanceTests(OgcFixture ogc) : IClassFixture<OgcFixture>
{
    [Fact]
    public async Task The_landing_page_links_to_the_API_definition_conformance_and_collections()
    {
        using var client = ogc.Anonymous();
        var landing = await OgcFixture.JsonAsync(await client.GetAsync("/ogc"));
        var rels = landing.GetProperty("links").EnumerateArray()
            .ToDictionary(l => l.GetProperty("rel").GetString()!, l => l);
        Assert.Equal("application/vnd.oai.openapi+json;version=3.0", rels["service-desc"].GetProperty("type").GetString());
        Assert.EndsWith("/ogc/conformance", rels["conformance"].GetProperty("href").GetString());
        Assert.EndsWith("/ogc/collections", rels["data"].GetProperty("href").GetString());
        Assert.Equal("application/json", rels["self"].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Conformance_declares_core_geojson_oas30_and_crs()
    {
        using var client = ogc.Anonymous();
        var conformance = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/conformance"));
        var classes = conformance.GetProperty("conformsTo").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core", classes);
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson", classes);
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30", classes);
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs", classes);
    }

    [Fact]
    public async Task There_is_one_collection_per_asset_kind_and_one_for_administrative_areas()
    {
        using var client = ogc.SignedIn();
        var collections = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections"));
        var ids = collections.GetProperty("collections").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?>([.. Paju.Field.Assets.AssetKinds.All, "admin_areas"]), ids);
    }

    [Fact]
    public async Task Items_are_a_GeoJSON_FeatureCollection_with_exact_counts()
    {
        using var client = ogc.Anonymous();
        var response = await client.GetAsync("/ogc/collections/playground/items");
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        var page = await OgcFixture.JsonAsync(response);

        Assert.Equal("FeatureCollection", page.GetProperty("type").GetString());
        Assert.Equal(719, page.GetProperty("numberMatched").GetInt32());
        Assert.Equal(10, page.GetProperty("numberReturned").GetInt32());   // the default limit
        Assert.Equal(10, page.GetProperty("features").GetArrayLength());
        var feature = page.GetProperty("features")[0];
        Assert.Equal("Point", feature.GetProperty("geometry").GetProperty("type").GetString());
        Assert.StartsWith("PG-", feature.GetProperty("properties").GetProperty("code").GetString());
    }

    [Fact]
    public async Task One_feature_has_the_path_id_and_a_collection_link()
    {
        using var client = ogc.Anonymous();
        var feature = await OgcFixture.JsonAsync(await client.GetAsync($"/ogc/collections/drainage_structure/items/{ogc.MunsanId}"));
        Assert.Equal("Feature", feature.GetProperty("type").GetString());
        Assert.Equal(ogc.MunsanId, feature.GetProperty("id").GetInt64());
        Assert.Contains(feature.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "collection");
        Assert.Equal(OgcFixture.MunsanCode, feature.GetProperty("properties").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_limit_above_the_maximum_is_clamped_not_refused()
    {
        using var client = ogc.Anonymous();
        var page = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections/playground/items?limit=5000"));
        Assert.Equal(719, page.GetProperty("numberReturned").GetInt32());
    }

    [Fact]
    public async Task Following_next_links_reads_every_feature_once_and_prev_links_walk_back()
    {
        using var client = ogc.Anonymous();
        var seen = new List<long>();
        string? url = "/ogc/collections/playground/items?limit=100";
        var pages = new List<JsonElement>();
        while (url is not null)
        {
            var page = await OgcFixture.JsonAsync(await client.GetAsync(url));
            pages.Add(page);
            seen.AddRange(page.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetInt64()));
            url = Link(page, "next");
        }
        Assert.Equal(719, seen.Count);
        Assert.Equal(719, seen.Distinct().Count());
        Assert.Equal(8, pages.Count);
        Assert.Null(Link(pages[0], "prev"));

        var back = await OgcFixture.JsonAsync(await client.GetAsync(Link(pages[^1], "prev")!));
        Assert.Equal(
            pages[^2].GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetInt64()),
            back.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetInt64()));
        Assert.NotNull(Link(back, "next"));
    }

    [Fact]
    public async Task Every_link_uses_PublicBaseUrl()
    {
        await using var server = await TestServer.StartAsync(ogc.Db.ConnectionString,
            new Dictionary<string, string?> { ["Paju:PublicBaseUrl"] = "https://safety.paju.go.kr/field" });
        using var client = server.CreateClient();
        foreach (var path in new[] { "/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/playground",
                     "/ogc/collections/playground/items?limit=5" })
        {
            var body = await OgcFixture.JsonAsync(await client.GetAsync(path));
            var hrefs = AllHrefs(body).ToList();
            Assert.NotEmpty(hrefs);
            Assert.All(hrefs, href => Assert.StartsWith("https://safety.paju.go.kr/field/ogc", href));
        }
        var api = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/api"));
        Assert.Equal("https://safety.paju.go.kr/field/ogc", api.GetProperty("servers")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task Property_filters_match_what_PostGIS_counts()
    {
        using var client = ogc.Anonymous();
        var expected = await ogc.Db.ScalarAsync<long>("SELECT count(*) FROM playground WHERE grade = '요수리'");
        var page = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections/playground/items?grade=" + Uri.EscapeDataString("요수리") + "&limit=1000"));
        Assert.Equal(expected, page.GetProperty("numberMatched").GetInt64());
        Assert.All(page.GetProperty("features").EnumerateArray(),
            f => Assert.Equal("요수리", f.GetProperty("properties").GetProperty("grade").GetString()));

        var bridges = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections/public_facility/items?facility_type=bridge"));
        Assert.Equal(91, bridges.GetProperty("numberMatched").GetInt32());
    }

    [Fact]
    public async Task Datetime_selects_features_by_their_time()
    {
        using var client = ogc.Anonymous();
        var during2025 = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections/cable_zone/items?datetime=2025-06-01T00:00:00Z"));
        Assert.Equal(["CABLE-2025"], Codes(during2025));
        var whole2024 = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections/cable_zone/items?datetime=2024-01-01T00:00:00Z/2024-12-31T00:00:00Z"));
        Assert.Equal(["CABLE-2024"], Codes(whole2024));

        var expected = await ogc.Db.ScalarAsync<long>("SELECT count(*) FROM playground WHERE install_date >= '2020-01-01'");
        var recent = await OgcFixture.JsonAsync(await client.GetAsync("/ogc/collections/playground/items?datetime=2019-12-31T15:00:00Z/.."));
        Assert.Equal(expected, recent.GetProperty("numberMatched").GetInt64());
    }

    [Fact]
    public async Task A_restricted_collection_answers_401_without_sign_in_and_200_with_it()
    {
        using var anonymous = ogc.Anonymous();
        var refused = await anonymous.GetAsync("/ogc/collections/pump/items");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var listed = await OgcFixture.JsonAsync(await anonymous.GetAsync("/ogc/collections"));
        Assert.DoesNotContain(listed.GetProperty("collections").EnumerateArray(), c => c.GetProperty("id").GetString() == "pump");

        using var signedIn = ogc.SignedIn();
        var pumps = await OgcFixture.JsonAsync(await signedIn.GetAsync("/ogc/collections/pump/items"));
        Assert.Equal(6, pumps.GetProperty("numberMatched").GetInt32());
        Assert.Contains(pumps.GetProperty("features").EnumerateArray(),
            f => f.GetProperty("properties").GetProperty("parent_code").GetString() == "ULGOK-PS1");
    }

    private static string? Link(JsonElement page, string rel) =>
        page.GetProperty("links").EnumerateArray().FirstOrDefault(l => l.GetProperty("rel").GetString() == rel) is { ValueKind: JsonValueKind.Object } link
            ? link.GetProperty("href").GetString()
            : null;

    private static List<string> Codes(JsonElement page) =>
        [.. page.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("code").GetString()!)];

    private static IEnumerable<string> AllHrefs(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "href")
                    {
                        yield return property.Value.GetString()!;
                    }
                    foreach (var href in AllHrefs(property.Value))
                    {
                        yield return href;
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var href in AllHrefs(item))
                    {
                        yield return href;
                    }
                }
                break;
        }
    }
}

/// <summary>numberMatched stays exact when the registry changes between two requests (the count cache must notice).</summary>
public sealed class NumberMatchedTests(OgcFixture ogc) : IClassFixture<OgcFixture>
{
    [Fact]
    public async Task A_new_asset_is_counted_on_the_very_next_request()
    {
        using var client = ogc.Anonymous();
        const string url = "/ogc/collections/catch_basin/items";
        var before = (await OgcFixture.JsonAsync(await client.GetAsync(url))).GetProperty("numberMatched").GetInt32();
        Assert.Equal(before, (await OgcFixture.JsonAsync(await client.GetAsync(url))).GetProperty("numberMatched").GetInt32());

        await ogc.Db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom) VALUES ('catch_basin', 'CB-NEW', '새 집수정', ST_SetSRID(ST_MakePoint(126.85, 37.92), 4326))
            """);
        Assert.Equal(before + 1, (await OgcFixture.JsonAsync(await client.GetAsync(url))).GetProperty("numberMatched").GetInt32());

        await ogc.Db.ExecuteAsync("UPDATE asset SET status = 'retired', retired_at = now() WHERE code = 'CB-NEW'");
        Assert.Equal(before, (await OgcFixture.JsonAsync(await client.GetAsync(url))).GetProperty("numberMatched").GetInt32());
    }
}
