using System.Text.Json.Nodes;

namespace Paju.Field.Server.Ogc;

/// <summary>
/// The service description: an OpenAPI 3.0 document (the oas30 conformance class requires 3.0;
/// ASP.NET Core's generator emits 3.1), built from the collection catalog so every collection's
/// filters, CRSs and paging parameters are documented exactly as the server parses them.
/// </summary>
public static class OgcOpenApi
{
    public static JsonObject Document(string serverUrl)
    {
        var paths = new JsonObject
        {
            ["/"] = Get("Landing page", "랜딩 페이지", "Landing", Json()),
            ["/conformance"] = Get("Conformance classes", "준수하는 OGC 표준", "Conformance", Json()),
            ["/api"] = Get("This OpenAPI document", "API 정의", "Api", Json()),
            ["/collections"] = Get("Feature collections", "컬렉션 목록", "Collections", Json()),
        };
        foreach (var c in OgcCatalog.All)
        {
            paths[$"/collections/{c.Id}"] = Get($"About {c.Id}", c.Title, $"Describe_{c.Id}", Json(), c.Restricted);
            paths[$"/collections/{c.Id}/items"] = Get($"Features of {c.Id}", $"{c.Title}: {c.Description}", $"Items_{c.Id}",
                GeoJson(), c.Restricted, ItemsParameters(c));
            paths[$"/collections/{c.Id}/items/{{featureId}}"] = Get($"One feature of {c.Id}", c.Title, $"Item_{c.Id}",
                GeoJson(), c.Restricted,
                [
                    new JsonObject { ["name"] = "featureId", ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "integer" } },
                    CrsParameter("crs", "응답 좌표계"),
                ]);
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject
            {
                ["title"] = "Paju Field OGC API – Features",
                ["version"] = "1.0.0",
                ["description"] = "파주시 행정안전국 현장안전 시설물. Pages are keyset pages: follow the next/prev links. "
                    + $"limit defaults to {OgcCatalog.DefaultLimit} and is clamped at {OgcCatalog.MaxLimit}. "
                    + "Retired assets are left out unless status=retired is asked for. "
                    + "Axis order follows each CRS: CRS84 lon/lat, EPSG:4326 lat/lon, EPSG:5186/5179 northing/easting.",
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = serverUrl }),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["description"] = "POST /api/auth/token 으로 받은 토큰" },
                    ["cookie"] = new JsonObject { ["type"] = "apiKey", ["in"] = "cookie", ["name"] = "paju.session" },
                },
            },
        };
    }

    private static JsonArray ItemsParameters(OgcCollection c)
    {
        var parameters = new JsonArray
        {
            new JsonObject
            {
                ["name"] = "limit", ["in"] = "query", ["required"] = false, ["style"] = "form", ["explode"] = false,
                ["description"] = $"Features per page (1–{OgcCatalog.MaxLimit}; larger values are clamped).",
                ["schema"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = OgcCatalog.MaxLimit, ["default"] = OgcCatalog.DefaultLimit },
            },
            new JsonObject
            {
                ["name"] = "bbox", ["in"] = "query", ["required"] = false, ["style"] = "form", ["explode"] = false,
                ["description"] = "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs (default CRS84 lon/lat).",
                ["schema"] = new JsonObject
                {
                    ["type"] = "array", ["minItems"] = 4, ["maxItems"] = 6,
                    ["items"] = new JsonObject { ["type"] = "number" },
                },
            },
            CrsParameter("bbox-crs", "bbox 좌표계"),
            CrsParameter("crs", "응답 좌표계"),
            new JsonObject
            {
                ["name"] = "after", ["in"] = "query", ["required"] = false,
                ["description"] = "Keyset page position from a next link: features with a larger id.",
                ["schema"] = new JsonObject { ["type"] = "integer" },
            },
            new JsonObject
            {
                ["name"] = "before", ["in"] = "query", ["required"] = false,
                ["description"] = "Keyset page position from a prev link: features with a smaller id.",
                ["schema"] = new JsonObject { ["type"] = "integer" },
            },
            new JsonObject
            {
                ["name"] = "f", ["in"] = "query", ["required"] = false,
                ["schema"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("json", "geojson") },
            },
        };
        if (c.Temporal is { } temporal)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = "datetime", ["in"] = "query", ["required"] = false, ["style"] = "form", ["explode"] = false,
                ["description"] = $"RFC 3339 instant or interval (start/end, '..' open) matched against {temporal.Title}.",
                ["schema"] = new JsonObject { ["type"] = "string" },
            });
        }
        foreach (var q in c.Queryables)
        {
            var schema = new JsonObject { ["type"] = SchemaType(q.Type) };
            if (q.Type == PropertyType.Date)
            {
                schema["format"] = "date";
            }
            if (q.Values is { } values)
            {
                schema["enum"] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
            }
            parameters.Add(new JsonObject
            {
                ["name"] = q.Name, ["in"] = "query", ["required"] = false, ["style"] = "form", ["explode"] = false,
                ["description"] = $"{q.Title}: exact match.",
                ["schema"] = schema,
            });
        }
        return parameters;
    }

    private static JsonObject CrsParameter(string name, string description) => new()
    {
        ["name"] = name, ["in"] = "query", ["required"] = false, ["description"] = description,
        ["schema"] = new JsonObject
        {
            ["type"] = "string", ["format"] = "uri",
            ["enum"] = new JsonArray([.. OgcCrs.Supported.Select(c => (JsonNode)c.Uri)]),
            ["default"] = OgcCrs.Crs84Uri,
        },
    };

    private static string SchemaType(PropertyType type) => type switch
    {
        PropertyType.Integer => "integer",
        PropertyType.Number => "number",
        PropertyType.Bool => "boolean",
        _ => "string",
    };

    private static JsonObject Json() => new() { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } };

    private static JsonObject GeoJson() => new() { [OgcEndpoints.GeoJson] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } };

    private static JsonObject Get(string summary, string description, string operationId, JsonObject content,
        bool restricted = false, JsonArray? parameters = null)
    {
        var responses = new JsonObject
        {
            ["200"] = new JsonObject { ["description"] = "OK", ["content"] = content },
            ["400"] = new JsonObject { ["description"] = "A parameter is wrong; the problem body says which and why." },
            ["404"] = new JsonObject { ["description"] = "No such collection or feature." },
        };
        var operation = new JsonObject
        {
            ["summary"] = summary,
            ["description"] = description,
            ["operationId"] = operationId,
            ["parameters"] = parameters ?? [],
            ["responses"] = responses,
        };
        if (restricted)
        {
            responses["401"] = new JsonObject { ["description"] = "Sign in or send a bearer token." };
            operation["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }, new JsonObject { ["cookie"] = new JsonArray() });
        }
        return new JsonObject { ["get"] = operation };
    }
}
