using Npgsql;
using Paju.Field.Server.WebApps;
using Paju.Field.Tags;

namespace Paju.Field.Server.Tags;

/// <summary>
/// <c>GET /t/{tagId}</c>: what anyone who opens a plate sees, rendered on the server so it works in any
/// browser. It never writes — a citizen opening an NTAG 424 URL spends nothing, and its counter stays
/// for the inspector's check-in, which posts the URL to /api/checkins.
/// </summary>
public static class TagPage
{
    public static void MapTagPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/t/{tagId}", ShowAsync).AllowAnonymous();

    /// <summary>
    /// For field staff in a browser that is not the installed app (an iPhone's Safari opens a plate by itself): the way into
    /// the app, carrying the URL's query (its SUN or signature) for the check-in. Citizens never see it.
    /// </summary>
    private static string OpenInApp(HttpContext http, string tagId)
    {
        var user = http.User;
        if (user.Identity?.IsAuthenticated != true
            || !(user.IsInRole(Accounts.Roles.Inspector) || user.IsInRole(Accounts.Roles.ManagingBody) || user.IsInRole(Accounts.Roles.Admin) || user.IsInRole(Accounts.Roles.Operator)))
        {
            return "";
        }
        var target = $"/inspector/#/tag/{tagId}{http.Request.QueryString.Value}";
        return $"<p><a class=\"button\" href=\"{PageResults.Encode(target)}\">점검 앱에서 열기</a></p>";
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string tagId, NpgsqlDataSource db, WebAppFiles files, CancellationToken ct)
    {
        if (files.Page("shared", "tag") is not { } template)
        {
            return PageResults.NotBuilt(http, "태그");
        }
        Tag? tag = null;
        if (TagUrl.IsTagId(tagId))
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            tag = await TagStore.FindAsync(conn, null, tagId, ct);
        }
        if (tag is null)
        {
            return PageResults.Html(http, PageResults.Fill(template, new Dictionary<string, string>
            {
                ["title"] = "등록되지 않은 표지",
                ["kind"] = "파주시 시설 표지",
                ["name"] = "등록되지 않은 표지입니다",
                ["code"] = "—",
                ["tag"] = PageResults.Encode(tagId),
                ["notice"] = "<p class=\"notice\" role=\"alert\">이 주소의 표지는 파주시에 등록되어 있지 않습니다. 표지가 훼손되었거나 잘못 붙었다면 파주시 행정안전국에 알려 주세요.</p>",
                ["app"] = "",
            }), StatusCodes.Status404NotFound);
        }
        return PageResults.Html(http, PageResults.Fill(template, new Dictionary<string, string>
        {
            ["title"] = PageResults.Encode(tag.AssetName),
            ["kind"] = PageResults.Encode(Paju.Field.Assets.AssetKinds.KoreanName(tag.AssetKind)),
            ["name"] = PageResults.Encode(tag.AssetName),
            ["code"] = PageResults.Encode(tag.AssetCode),
            ["tag"] = PageResults.Encode(tag.Id),
            ["notice"] = tag.Retired ? "<p class=\"notice\">이 표지는 교체되었습니다. 시설에 붙은 새 표지를 이용해 주세요.</p>" : "",
            ["app"] = OpenInApp(http, tag.Id),
        }));
    }
}
