using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Paju.Field.Geography;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Ogc;

/// <summary>
/// OGC API – Features at /ogc: Part 1 (core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS). The one
/// interface for the city's assets: QGIS and GDAL read it, and so do the control room and the
/// inspector app.
/// </summary>
public static class OgcEndpoints
{
    public const string Root = "/ogc";
    public const string GeoJson = "application/geo+json";
    public const string OpenApiMediaType = "application/vnd.oai.openapi+json;version=3.0";

    public static readonly IReadOnlyList<string> ConformanceClasses =
    [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ];

    public static void MapOgc(this IEndpointRouteBuilder app)
    {
        var ogc = app.MapGroup(Root);
        ogc.MapGet("/", Landing);
        ogc.MapGet("/conformance", Conformance);
        ogc.MapGet("/api", (HttpRequest request, PublicUrls urls) =>
            Results.Text(OgcOpenApi.Document(urls.Absolute(request, Root)).ToJsonString(), OpenApiMediaType, Encoding.UTF8));
        ogc.MapGet("/collections", Collections);
        ogc.MapGet("/collections/{collectionId}", Collection);
        ogc.MapGet("/collections/{collectionId}/items", Items);
        ogc.MapGet("/collections/{collectionId}/items/{featureId}", Item);
    }

    private static IResult Landing(HttpRequest request, PublicUrls urls) => Results.Json(new
    {
        title = "파주 현장안전 공간정보 (Paju Field OGC API – Features)",
        description = "파주시 행정안전국의 시설물: 울곡 자연재해위험개선지구와 배수펌프장, 어린이 놀이시설, 공중이용시설, 공중케이블 정비구역, 읍면동",
        links = new[]
        {
            new Link(urls.Absolute(request, Root), "self", "application/json", "이 문서"),
            new Link(urls.Absolute(request, $"{Root}/api"), "service-desc", OpenApiMediaType, "OpenAPI 3.0 정의"),
            new Link(urls.Absolute(request, $"{Root}/conformance"), "conformance", "application/json", "준수 표준"),
            new Link(urls.Absolute(request, $"{Root}/collections"), "data", "application/json", "컬렉션 목록"),
        },
    });

    private static IResult Conformance(HttpRequest request, PublicUrls urls) => Results.Json(new
    {
        conformsTo = ConformanceClasses,
        links = new[] { new Link(urls.Absolute(request, $"{Root}/conformance"), "self", "application/json") },
    });

    private static IResult Collections(HttpContext http, PublicUrls urls)
    {
        var signedIn = http.User.Identity?.IsAuthenticated == true;
        return Results.Json(new
        {
            links = new[] { new Link(urls.Absolute(http.Request, $"{Root}/collections"), "self", "application/json") },
            collections = OgcCatalog.All.Where(c => signedIn || !c.Restricted).Select(c => Describe(c, http.Request, urls)),
        });
    }

    private static IResult Collection(string collectionId, HttpContext http, PublicUrls urls) =>
        Resolve(collectionId, http, out var collection) ?? Results.Json(Describe(collection!, http.Request, urls));

    private static async Task<IResult> Items(string collectionId, HttpContext http, PublicUrls urls, NpgsqlDataSource db,
        CountCache counts, IOptions<JsonOptions> json, CancellationToken ct)
    {
        if (Resolve(collectionId, http, out var collection) is { } refused)
        {
            return refused;
        }
        var (request, error) = ItemsRequest.Parse(http.Request.Query, collection!);
        if (error is not null)
        {
            return BadRequest(error);
        }

        var page = await FeatureQueries.PageAsync(db, collection!, request!, counts, ct);
        var itemsPath = $"{Root}/collections/{collection!.Id}/items";
        var links = new List<Link>
        {
            new(urls.Absolute(http.Request, itemsPath + http.Request.QueryString), "self", GeoJson, "이 페이지"),
            new(urls.Absolute(http.Request, $"{Root}/collections/{collection.Id}"), "collection", "application/json", collection.Title),
        };
        if (page.HasNext)
        {
            links.Add(new(urls.Absolute(http.Request, itemsPath + PageQuery(http.Request.Query, "after", page.LastId!.Value)), "next", GeoJson, "다음 페이지"));
        }
        if (page.HasPrevious)
        {
            links.Add(new(urls.Absolute(http.Request, itemsPath + PageQuery(http.Request.Query, "before", page.FirstId!.Value)), "prev", GeoJson, "이전 페이지"));
        }

        // PostGIS wrote each feature; they are spliced in as they came rather than parsed and re-serialised.
        var body = new StringBuilder(64 + page.Features.Sum(f => f.Length + 1));
        body.Append("{\"type\":\"FeatureCollection\",\"numberMatched\":").Append(page.NumberMatched)
            .Append(",\"numberReturned\":").Append(page.Features.Count)
            .Append(",\"timeStamp\":").Append(JsonSerializer.Serialize(DateTimeOffset.UtcNow))
            .Append(",\"links\":").Append(JsonSerializer.Serialize(links, json.Value.SerializerOptions))
            .Append(",\"features\":[").AppendJoin(',', page.Features).Append("]}");
        http.Response.Headers["Content-Crs"] = $"<{request!.Crs.Uri}>";
        return Results.Text(body.ToString(), GeoJson, Encoding.UTF8);
    }

    private static async Task<IResult> Item(string collectionId, string featureId, HttpContext http, PublicUrls urls,
        NpgsqlDataSource db, IOptions<JsonOptions> json, CancellationToken ct)
    {
        if (Resolve(collectionId, http, out var collection) is { } refused)
        {
            return refused;
        }
        var crs = OgcCrs.Crs84;
        foreach (var key in http.Request.Query.Keys)
        {
            if (key is not ("crs" or "f"))
            {
                return BadRequest($"Unknown parameter '{key}'. A single feature takes crs and f.");
            }
        }
        if (http.Request.Query.TryGetValue("crs", out var crsText) && (crs = OgcCrs.Find(crsText!)!) is null)
        {
            return BadRequest($"crs '{crsText}' is not offered. Offered: {string.Join(", ", OgcCrs.Supported.Select(c => c.Uri))}.");
        }
        if (!long.TryParse(featureId, out var id)
            || await FeatureQueries.OneAsync(db, collection!, id, crs, ct) is not { } feature)
        {
            return NotFound($"No feature '{featureId}' in collection '{collectionId}'.");
        }

        var links = new[]
        {
            new Link(urls.Absolute(http.Request, $"{Root}/collections/{collection!.Id}/items/{id}"), "self", GeoJson, "이 시설"),
            new Link(urls.Absolute(http.Request, $"{Root}/collections/{collection.Id}"), "collection", "application/json", collection.Title),
        };
        // Add the links to the feature PostGIS wrote: {"type":"Feature",…} → {"type":"Feature",…,"links":[…]}.
        var body = feature[..^1] + ",\"links\":" + JsonSerializer.Serialize(links, json.Value.SerializerOptions) + "}";
        http.Response.Headers["Content-Crs"] = $"<{crs.Uri}>";
        return Results.Text(body, GeoJson, Encoding.UTF8);
    }

    private static object Describe(OgcCollection c, HttpRequest request, PublicUrls urls) => new
    {
        id = c.Id,
        title = c.Title,
        description = c.Description,
        itemType = "feature",
        crs = OgcCrs.Supported.Select(s => s.Uri),
        storageCrs = OgcCrs.Crs84Uri,
        extent = new
        {
            spatial = new
            {
                bbox = new[] { new[] { PajuExtent.MinLon, PajuExtent.MinLat, PajuExtent.MaxLon, PajuExtent.MaxLat } },
                crs = OgcCrs.Crs84Uri,
            },
        },
        links = new[]
        {
            new Link(urls.Absolute(request, $"{Root}/collections/{c.Id}"), "self", "application/json", c.Title),
            new Link(urls.Absolute(request, $"{Root}/collections/{c.Id}/items"), "items", GeoJson, c.Title),
        },
    };

    /// <summary>An unknown collection is 404; a restricted one without sign-in is 401.</summary>
    private static IResult? Resolve(string collectionId, HttpContext http, out OgcCollection? collection)
    {
        collection = OgcCatalog.Find(collectionId);
        if (collection is null)
        {
            return NotFound($"No collection '{collectionId}'. See {Root}/collections.");
        }
        if (collection.Restricted && http.User.Identity?.IsAuthenticated != true)
        {
            return Results.Problem($"Collection '{collectionId}' is for signed-in users: sign in or send a bearer token.",
                statusCode: StatusCodes.Status401Unauthorized);
        }
        return null;
    }

    /// <summary>The request's own query with the page position replaced, so filters and CRS carry over.</summary>
    private static string PageQuery(IQueryCollection query, string key, long id)
    {
        var kept = query.Where(q => q.Key is not ("after" or "before"))
            .Select(q => KeyValuePair.Create(q.Key, (string?)q.Value.ToString()))
            .Append(KeyValuePair.Create(key, (string?)id.ToString()));
        return QueryString.Create(kept).ToUriComponent();
    }

    private static IResult BadRequest(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest);

    private static IResult NotFound(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status404NotFound);
}
