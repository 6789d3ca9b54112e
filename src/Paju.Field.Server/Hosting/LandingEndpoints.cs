namespace Paju.Field.Server.Hosting;

/// <summary>GET /api: what this server is and where its parts are, for clients (people get the pages at /).</summary>
public static class LandingEndpoints
{
    public static void MapLanding(this IEndpointRouteBuilder app) =>
        app.MapGet("/api", (HttpRequest request, PublicUrls urls) => TypedResults.Ok(new
        {
            title = "파주 현장안전 (Paju Field)",
            description = "파주시 행정안전국 현장안전 GIS·IoT 시스템: 울곡 배수펌프장, 어린이 놀이시설, 공중이용시설, 공중케이블 정비구역",
            links = new[]
            {
                new Link(urls.Absolute(request, "/api"), "self", "application/json", "이 문서"),
                new Link(urls.Absolute(request, "/"), "alternate", "text/html", "첫 화면"),
                new Link(urls.Absolute(request, "/login"), "login-form", "text/html", "로그인 화면"),
                new Link(urls.Absolute(request, "/health"), "status", "application/json", "서버 상태"),
                new Link(urls.Absolute(request, "/api/auth/login"), "login", "application/json", "로그인 (JSON)"),
                new Link(urls.Absolute(request, "/ogc"), "data", "application/json", "OGC API – Features (시설물 공간정보)"),
                new Link(urls.Absolute(request, "/tiles"), "tiles", "application/json", "벡터 타일 (MVT, TileJSON)"),
            },
        }));
}
