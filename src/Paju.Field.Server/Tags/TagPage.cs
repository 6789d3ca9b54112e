using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Server.WebApps;
using Paju.Field.Tags;

namespace Paju.Field.Server.Tags;

/// <summary>
/// <c>GET /t/{tagId}</c>: what anyone who opens a plate sees, rendered on the server so it works in any browser and
/// without scripts — for a playground whether it is safe now: its latest check and grade, the periodic inspection's
/// validity, 이용금지 with its reason, and whom to call. It never writes: a citizen opening an NTAG 424 URL spends
/// nothing, and a bad or tampered signature changes nothing here (the page is the same for every query string); the
/// check-in that counts is the inspector's, posted to /api/checkins.
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

    private static async Task<IResult> ShowAsync(HttpContext http, string tagId, NpgsqlDataSource db, WebAppFiles files, PublicPageCache cache,
        TagOptions options, TimeProvider clock, CancellationToken ct)
    {
        if (files.Page("shared", "tag") is not { } template)
        {
            return PageResults.NotBuilt(http, "태그");
        }
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime);
        var app = OpenInApp(http, tagId);
        // Staff see a link of their own, so only what everyone sees is shared.
        if (app.Length == 0 && cache.TryGet(tagId, today, out var cached))
        {
            http.Response.Headers["X-Page-Cache"] = "hit";
            return Send(http, cached);
        }
        http.Response.Headers["X-Page-Cache"] = "miss";
        Tag? tag = null;
        PublicAssetStatus? status = null;
        if (TagUrl.IsTagId(tagId))
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            tag = await TagStore.FindAsync(conn, null, tagId, ct);
            status = tag is null ? null : await PublicAssetStatus.ReadAsync(conn, tag.AssetId, ct);
        }
        if (tag is null || status is null)
        {
            return PageResults.Html(http, PageResults.Fill(template, new Dictionary<string, string>
            {
                ["title"] = "등록되지 않은 표지",
                ["kind"] = "파주시 시설 표지",
                ["name"] = "등록되지 않은 표지입니다",
                ["code"] = "—",
                ["tag"] = PageResults.Encode(tagId),
                ["status"] = "",
                ["notice"] = "<p class=\"notice\" role=\"alert\">이 주소의 표지는 파주시에 등록되어 있지 않습니다. 표지가 훼손되었거나 잘못 붙었다면 아래 연락처로 알려 주세요.</p>",
                ["contact"] = Contact(options.PublicContactName, options.PublicContactPhone),
                ["updated"] = Updated(now),
                ["report"] = "",
                ["app"] = "",
            }), StatusCodes.Status404NotFound);
        }
        var html = PageResults.Fill(template, new Dictionary<string, string>
        {
            ["title"] = PageResults.Encode(tag.AssetName) + (status.ClosedAt is null ? "" : " (이용금지)"),
            ["kind"] = PageResults.Encode(Paju.Field.Assets.AssetKinds.KoreanName(tag.AssetKind)),
            ["name"] = PageResults.Encode(tag.AssetName),
            ["code"] = PageResults.Encode(tag.AssetCode),
            ["tag"] = PageResults.Encode(tag.Id),
            ["status"] = status.StatusHtml(now),
            ["notice"] = tag.Retired ? "<p class=\"notice\">이 표지는 교체되었습니다. 시설에 붙은 새 표지를 이용해 주세요.</p>" : "",
            ["contact"] = status.BodyName is { } body
                ? Contact(body, status.BodyPhone ?? options.PublicContactPhone)
                : Contact(options.PublicContactName, options.PublicContactPhone),
            ["updated"] = Updated(now),
            ["report"] = tag.Retired ? "" : status.ReportHtml(tag.Id),
            ["app"] = app,
        });
        var page = new CachedPage(Encoding.UTF8.GetBytes(html), $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(html)))[..32]}\"");
        if (app.Length == 0)
        {
            cache.Put(tagId, today, page);
        }
        return Send(http, page);
    }

    private static string Contact(string name, string phone) =>
        $"""<p class="contact">문의 <strong>{PageResults.Encode(name)}</strong> <a href="tel:{PageResults.Encode(new string(phone.Where(c => char.IsAsciiDigit(c) || c == '+').ToArray()))}">{PageResults.Encode(phone)}</a></p>""";

    private static string Updated(DateTimeOffset now) =>
        $"""<time datetime="{now:yyyy-MM-ddTHH:mm:ssZ}">{SeoulCalendar.ToSeoul(now):yyyy년 M월 d일 HH:mm}</time> 기준""";

    /// <summary>No-cache with a validator: a browser asks every time (the state is live) and gets 304 when nothing changed.</summary>
    private static IResult Send(HttpContext http, CachedPage page)
    {
        var result = PageResults.Bytes(http, page.Html);
        http.Response.Headers.ETag = page.ETag;
        return http.Request.Headers.IfNoneMatch.Contains(page.ETag) ? Results.StatusCode(StatusCodes.Status304NotModified) : result;
    }
}
