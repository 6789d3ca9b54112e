using Microsoft.Net.Http.Headers;
using Paju.Field.Geography;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Tiles;

/// <summary>
/// /tiles: Mapbox Vector Tiles (MVT 2.1) per asset layer and for all public layers, with TileJSON
/// 3.0 for MapLibre. Tiles carry ETags; an empty tile is 204; a tile outside the pyramid is 400.
/// </summary>
public static class TileEndpoints
{
    public const string MediaType = "application/vnd.mapbox-vector-tile";

    public static void MapTiles(this IEndpointRouteBuilder app)
    {
        var tiles = app.MapGroup("/tiles");
        tiles.MapGet("/", (HttpContext http, PublicUrls urls) => Results.Json(new
        {
            tilesets = TileCatalog.Tilesets
                .Where(t => !t.Restricted || http.User.Identity?.IsAuthenticated == true)
                .Select(t => new { id = t.Id, title = t.Title, tilejson = urls.Absolute(http.Request, $"/tiles/{t.Id}.json") }),
        }));
        tiles.MapGet("/{tileset}.json", TileJson);
        tiles.MapGet("/{tileset}/{z:int}/{x:int}/{y:int}.mvt", Tile);
    }

    private static IResult TileJson(string tileset, HttpContext http, PublicUrls urls)
    {
        if (Resolve(tileset, http, out var set) is { } refused)
        {
            return refused;
        }
        return Results.Json(new
        {
            tilejson = "3.0.0",
            name = set!.Id,
            description = set.Title,
            version = "1.0.0",
            attribution = "파주시 행정안전국",
            scheme = "xyz",
            tiles = new[] { urls.Absolute(http.Request, $"/tiles/{set.Id}/{{z}}/{{x}}/{{y}}.mvt") },
            minzoom = 0,
            maxzoom = TileCatalog.TileJsonMaxZoom,
            bounds = new[] { PajuExtent.MinLon, PajuExtent.MinLat, PajuExtent.MaxLon, PajuExtent.MaxLat },
            center = new[] { 126.78, 37.76, 11 },
            vector_layers = set.Layers.Select(l => new
            {
                id = l.Kind,
                description = l.Clustered
                    ? $"{l.Title}. Below z{TileCatalog.RawMinZoom}: clusters (cluster = true, count, worst severity, n_closed and n_overdue members)."
                    : l.Title,
                minzoom = 0,
                maxzoom = TileCatalog.TileJsonMaxZoom,
                fields = l.Fields.ToDictionary(f => f.Name, f => f.Type)
                    .Concat(l.Clustered ? [KeyValuePair.Create("cluster", "Boolean"), KeyValuePair.Create("n_closed", "Number"), KeyValuePair.Create("n_overdue", "Number")] : [])
                    .ToDictionary(),
            }),
        });
    }

    private static async Task<IResult> Tile(string tileset, int z, int x, int y, HttpContext http, TileRenderer renderer, CancellationToken ct)
    {
        if (Resolve(tileset, http, out var set) is { } refused)
        {
            return refused;
        }
        if (!TileKey.InRange(z, x, y))
        {
            return Results.Problem($"Tile {z}/{x}/{y} is outside the pyramid: z is 0–{TileCatalog.MaxZoom}, and x and y are 0–2^z−1.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var (tile, cached) = await renderer.GetAsync(set!, z, x, y, ct);
        var headers = http.Response.Headers;
        headers["X-Tile-Cache"] = cached ? "hit" : "miss";
        headers.ETag = tile.ETag;
        // Short freshness with revalidation: the registry changes, and a 304 costs next to nothing.
        headers.CacheControl = set!.Restricted ? "private, max-age=60, must-revalidate" : "public, max-age=60, must-revalidate";
        if (http.Request.Headers.IfNoneMatch.ToString().Split(',').Any(tag => tag.Trim() == tile.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return tile.Bytes.Length == 0 ? Results.NoContent() : Results.Bytes(tile.Bytes, MediaType);
    }

    private static IResult? Resolve(string tileset, HttpContext http, out Tileset? set)
    {
        set = TileCatalog.Find(tileset);
        if (set is null)
        {
            return Results.Problem($"No tileset '{tileset}'. See /tiles.", statusCode: StatusCodes.Status404NotFound);
        }
        if (set.Restricted && http.User.Identity?.IsAuthenticated != true)
        {
            return Results.Problem($"Tileset '{tileset}' is for signed-in users.", statusCode: StatusCodes.Status401Unauthorized);
        }
        return null;
    }
}
