using System.Net;
using System.Text.Json;

namespace Paju.Field.Tests.Ogc;

/// <summary>Bad input is a 400 or 404 with a JSON problem that says why — never a 500, never SQL.</summary>
public sealed class BadInputTests(OgcFixture ogc) : IClassFixture<OgcFixture>
{
    [Theory]
    [InlineData("/ogc/collections/playground/items?bbox=126.7,37.7,126.8", 400, "4 numbers")]
    [InlineData("/ogc/collections/playground/items?bbox=126.7,37.7,126.8,91", 400, "latitude")]
    [InlineData("/ogc/collections/playground/items?bbox=126.8,37.7,126.7,37.8", 400, "minimum")]
    [InlineData("/ogc/collections/playground/items?bbox=a,b,c,d", 400, "not a number")]
    [InlineData("/ogc/collections/playground/items?limit=-1", 400, "limit")]
    [InlineData("/ogc/collections/playground/items?limit=0", 400, "limit")]
    [InlineData("/ogc/collections/playground/items?limit=abc", 400, "limit")]
    [InlineData("/ogc/collections/playground/items?colour=red", 400, "Unknown parameter 'colour'")]
    [InlineData("/ogc/collections/playground/items?limit=1&limit=2", 400, "once")]
    [InlineData("/ogc/collections/playground/items?crs=EPSG:9999", 400, "crs")]
    [InlineData("/ogc/collections/playground/items?bbox-crs=EPSG:9999&bbox=1,2,3,4", 400, "bbox-crs")]
    [InlineData("/ogc/collections/playground/items?datetime=yesterday", 400, "RFC 3339")]
    [InlineData("/ogc/collections/playground/items?datetime=2025-12-01T00:00:00Z/2025-01-01T00:00:00Z", 400, "ends before")]
    [InlineData("/ogc/collections/public_facility/items?datetime=2025-01-01T00:00:00Z", 400, "no time")]
    [InlineData("/ogc/collections/playground/items?indoor=maybe", 400, "true or false")]
    [InlineData("/ogc/collections/public_facility/items?completed_year=1990s", 400, "whole number")]
    [InlineData("/ogc/collections/playground/items?after=abc", 400, "after")]
    [InlineData("/ogc/collections/playground/items?f=html", 400, "f=json")]
    [InlineData("/ogc/collections/playgrounds/items", 404, "No collection")]
    [InlineData("/ogc/collections/playgrounds", 404, "No collection")]
    [InlineData("/ogc/collections/playground/items/99999999", 404, "No feature")]
    [InlineData("/ogc/collections/playground/items/abc", 404, "No feature")]
    public async Task Bad_requests_get_a_problem_with_a_reason(string url, int status, string reason)
    {
        using var client = ogc.Anonymous();
        var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("grade", "요수리' OR '1'='1")]
    [InlineData("grade", "'; DROP TABLE asset; --")]
    public async Task Quotes_and_SQL_in_a_value_with_fixed_choices_are_refused(string property, string value)
    {
        using var client = ogc.Anonymous();
        var response = await client.GetAsync($"/ogc/collections/playground/items?{property}={Uri.EscapeDataString(value)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must be one of", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("code", "PG-S000001' OR '1'='1")]
    [InlineData("install_place", "'; DROP TABLE asset; --")]
    [InlineData("fms_no", "\" OR \"\"=\"")]
    public async Task Quotes_and_SQL_in_a_free_text_value_match_nothing_and_harm_nothing(string property, string value)
    {
        var collection = property == "fms_no" ? "public_facility" : "playground";
        using var client = ogc.Anonymous();
        var page = await OgcFixture.JsonAsync(await client.GetAsync($"/ogc/collections/{collection}/items?{property}={Uri.EscapeDataString(value)}"));
        Assert.Equal(0, page.GetProperty("numberMatched").GetInt32());
        Assert.Equal(719L, await ogc.Db.ScalarAsync<long>("SELECT count(*) FROM playground"));
    }
}
