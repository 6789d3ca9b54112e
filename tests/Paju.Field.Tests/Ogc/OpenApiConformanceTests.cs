using System.Text.Json;

namespace Paju.Field.Tests.Ogc;

/// <summary>OGC API – Features Part 1, conformance class oas30: the service description is OpenAPI 3.0.</summary>
public sealed class OpenApiConformanceTests(OgcFixture ogc) : IClassFixture<OgcFixture>
{
    private async Task<JsonElement> ApiAsync()
    {
        using var client = ogc.Anonymous();
        var response = await client.GetAsync("/ogc/api");
        Assert.Equal("application/vnd.oai.openapi+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "3.0");
        return await OgcFixture.JsonAsync(response);
    }

    [Fact]
    public async Task The_document_is_OpenAPI_3_0_not_3_1()
    {
        var api = await ApiAsync();
        Assert.StartsWith("3.0.", api.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task Every_collection_has_its_items_path_with_documented_filters()
    {
        var api = await ApiAsync();
        var parameters = api.GetProperty("paths").GetProperty("/collections/playground/items").GetProperty("get").GetProperty("parameters")
            .EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);

        var grade = parameters["grade"].GetProperty("schema");
        Assert.Equal(["양호", "요주의", "요수리", "이용금지"], grade.GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(1000, parameters["limit"].GetProperty("schema").GetProperty("maximum").GetInt32());
        Assert.Equal(10, parameters["limit"].GetProperty("schema").GetProperty("default").GetInt32());
        Assert.True(parameters.ContainsKey("datetime"));
        Assert.True(parameters.ContainsKey("bbox-crs"));

        foreach (var id in Paju.Field.Assets.AssetKinds.All.Append("admin_areas"))
        {
            Assert.True(api.GetProperty("paths").TryGetProperty($"/collections/{id}/items", out _), id);
        }
    }

    [Fact]
    public async Task Restricted_collections_declare_their_security()
    {
        var api = await ApiAsync();
        var pumps = api.GetProperty("paths").GetProperty("/collections/pump/items").GetProperty("get");
        Assert.True(pumps.TryGetProperty("security", out _));
        Assert.True(pumps.GetProperty("responses").TryGetProperty("401", out _));
    }
}
