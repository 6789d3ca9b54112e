using System.Text;
using System.Text.Json;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Inspections;
using Paju.Field.Server.Tags;
using Paju.Field.Server.WebApps;
using Paju.Field.Tags;

namespace Paju.Field.Server.Reports;

/// <summary>
/// A hazard report from the plate, in pages that work without scripts: <c>/t/{tag}/report</c> shows the open reports on
/// this asset first (so one adds "저도 봤어요" rather than a duplicate), then the form; the post files it and answers
/// with <c>/r/{접수번호}</c>, where its state and the city's result note can be followed. Every refusal is answered in
/// Korean, logged, and kept for review without its photos.
/// </summary>
public static class ReportPages
{
    public const long MaxRequestBytes = ReportForm.MaxTotalBytes + 2 * 1024 * 1024;

    public static void MapReportPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/t/{tagId}/report", FormAsync).AllowAnonymous();
        app.MapPost("/t/{tagId}/report", FileAsync).AllowAnonymous().DisableAntiforgery()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxRequestBytes));
        app.MapPost("/t/{tagId}/report/{reportId:long}/seen", SeenTooAsync).AllowAnonymous().DisableAntiforgery();
        app.MapGet("/r/{receipt}", ReceiptAsync).AllowAnonymous();
    }

    private static async Task<Tag?> PlateAsync(NpgsqlDataSource db, string tagId, CancellationToken ct)
    {
        if (!TagUrl.IsTagId(tagId))
        {
            return null;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        return await TagStore.FindAsync(conn, null, tagId, ct);
    }

    private static async Task<IResult> FormAsync(HttpContext http, string tagId, bool? seen, NpgsqlDataSource db, WebAppFiles files, CancellationToken ct)
    {
        var tag = await PlateAsync(db, tagId, ct);
        if (tag is null)
        {
            return Results.Redirect($"/t/{Uri.EscapeDataString(tagId)}");
        }
        var notice = seen == true ? """<p class="ok-notice" role="status">고맙습니다. 같은 위험을 본 사람이 한 명 더 있다고 전했습니다.</p>""" : "";
        return await RenderFormAsync(http, files, db, tag, null, [], notice, StatusCodes.Status200OK, ct);
    }

    private static async Task<IResult> RenderFormAsync(HttpContext http, WebAppFiles files, NpgsqlDataSource db, Tag tag, IFormCollection? posted,
        IReadOnlyList<string> problems, string notice, int status, CancellationToken ct)
    {
        if (files.Page("citizen", "report") is not { } template)
        {
            return PageResults.NotBuilt(http, "신고");
        }
        List<PublicReport> open;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            open = await ReportStore.OpenOnAssetAsync(conn, tag.AssetId, ct);
        }
        var ticked = posted?["injury"].ToHashSet() ?? [];
        var criteria = new StringBuilder();
        foreach (var (code, label) in ReportForm.Criteria)
        {
            criteria.Append($"""<label class="choice"><input type="checkbox" name="injury" value="{code}" {(ticked.Contains(code) ? "checked" : "")}> {PageResults.Encode(label)}</label>""");
        }
        string Posted(string name) => posted?[name].ToString() ?? "";
        string Value(string name) => PageResults.Encode(Posted(name));
        var keepPosition = posted is not null && ReportForm.PositionIsValid(posted);
        return PageResults.Html(http, PageResults.Fill(template, new Dictionary<string, string>
        {
            ["name"] = PageResults.Encode(tag.AssetName),
            ["code"] = PageResults.Encode(tag.AssetCode),
            ["tag"] = PageResults.Encode(tag.Id),
            ["notice"] = notice,
            ["open"] = OpenReportsHtml(tag, open),
            ["errors"] = problems.Count == 0 ? "" : $"""
                <div class="error" role="alert" tabindex="-1" id="problems"><p>신고를 접수하지 못했습니다. 아래를 고쳐 다시 보내 주세요.</p>
                <ul>{string.Concat(problems.Select(p => $"<li>{PageResults.Encode(p)}</li>"))}</ul><p>사진은 다시 골라 주세요.</p></div>
                """,
            ["description"] = Value("description"),
            ["injured-no"] = Posted("injured") == "no" ? "checked" : "",
            ["injured-yes"] = Posted("injured") == "yes" ? "checked" : "",
            ["criteria"] = criteria.ToString(),
            ["contact-name"] = Value("name"),
            ["contact-phone"] = Value("phone"),
            ["consent"] = Posted("consent") == "yes" ? "checked" : "",
            ["consent-text"] = PageResults.Encode(ReportForm.ConsentText),
            // A position is given back only when it was a good one; a bad one is dropped, as the message says.
            ["lat"] = keepPosition ? Value("lat") : "",
            ["lon"] = keepPosition ? Value("lon") : "",
            ["accuracy"] = keepPosition ? Value("accuracy") : "",
        }), status);
    }

    private static string OpenReportsHtml(Tag tag, List<PublicReport> open)
    {
        if (open.Count == 0)
        {
            return "";
        }
        var html = new StringBuilder($"""<h2>이미 접수된 신고 {open.Count}건</h2><p>같은 위험이라면 새로 쓰지 말고 '저도 봤어요'를 눌러 주세요.</p><ul class="open-reports">""");
        foreach (var r in open)
        {
            html.Append($"""
                <li><p><strong>{PageResults.Encode(r.Receipt)}</strong> · {ReportStore.KoreanState(r.State)} · {SeoulCalendar.ToSeoul(r.ReceivedAt):M월 d일}</p>
                <p>{PageResults.Encode(Shorten(r.Description, 140))}</p>
                <p class="muted">함께 본 사람 {r.SeenToo}명</p>
                <form method="post" action="/t/{PageResults.Encode(tag.Id)}/report/{r.Id}/seen"><button type="submit" class="secondary">저도 봤어요 ({PageResults.Encode(r.Receipt)})</button></form></li>
                """);
        }
        return html.Append("</ul><h2>새로 신고하기</h2>").ToString();
    }

    private static async Task<IResult> FileAsync(HttpContext http, string tagId, NpgsqlDataSource db, WebAppFiles files, IPhotoStore photos,
        ReportLimits limits, TimeProvider clock, ILogger<ReportLimits> log, CancellationToken ct)
    {
        var tag = await PlateAsync(db, tagId, ct);
        if (tag is null)
        {
            return Refusal(http, StatusCodes.Status404NotFound, "등록되지 않은 표지입니다. 표지의 QR 코드를 다시 찍어 주세요.");
        }
        var address = http.Connection.RemoteIpAddress;
        if (!Accounts.SameOrigin.Allows(http.Request))
        {
            log.LogWarning("Report refused for plate {Tag} from {Address}: posted from another site", tagId, address);
            return Refusal(http, StatusCodes.Status403Forbidden, "다른 사이트에서 보낸 신고는 받지 않습니다. 표지의 주소에서 직접 작성해 주세요.");
        }
        if (!http.Request.HasFormContentType)
        {
            return Refusal(http, StatusCodes.Status415UnsupportedMediaType, "신고는 신고 화면의 양식으로 보내 주세요.");
        }
        IFormCollection posted;
        try
        {
            posted = await http.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            log.LogWarning("Report refused for plate {Tag} from {Address}: the form could not be read ({Reason})", tagId, address, e.Message);
            return Refusal(http, StatusCodes.Status413PayloadTooLarge,
                $"보낸 내용이 너무 큽니다. 사진은 {ReportForm.MaxPhotos}장, 모두 합해 {ReportForm.MaxTotalBytes / 1024 / 1024} MB까지 보낼 수 있습니다.");
        }
        if (!limits.TryAcquire("report", address))
        {
            await KeepAsync(db, http, tag, posted, "rate_limited", "address over its hourly allowance");
            log.LogWarning("Report refused for plate {Tag} from {Address}: more than {Limit} reports in an hour", tagId, address, ReportLimits.ReportsPerAddressPerHour);
            return await RenderFormAsync(http, files, db, tag, posted,
                [$"한 곳에서 한 시간에 {ReportLimits.ReportsPerAddressPerHour}건까지 신고할 수 있습니다. 잠시 뒤에 다시 보내 주세요. 급하면 아래 연락처로 전화해 주세요."],
                "", StatusCodes.Status429TooManyRequests, ct);
        }
        var now = clock.GetUtcNow();
        if (await ReportStore.RecentOnAssetAsync(db, tag.AssetId, now, ct) >= ReportLimits.ReportsPerAssetPerHour)
        {
            await KeepAsync(db, http, tag, posted, "asset_rate_limited", "asset over its hourly allowance");
            log.LogWarning("Report refused for plate {Tag} from {Address}: the asset had {Limit} reports this hour", tagId, address, ReportLimits.ReportsPerAssetPerHour);
            return await RenderFormAsync(http, files, db, tag, posted,
                ["이 시설에 한 시간 동안 신고가 많이 들어와 잠시 받지 않습니다. 위에 접수된 신고에 '저도 봤어요'를 눌러 주세요."],
                "", StatusCodes.Status429TooManyRequests, ct);
        }
        var (form, problems, honeypot) = await ReportForm.ParseAsync(posted, ct);
        if (form is null)
        {
            await KeepAsync(db, http, tag, posted, honeypot ? "honeypot" : "invalid", string.Join(" ", problems));
            log.LogInformation("Report refused for plate {Tag} from {Address}: {Problems}", tagId, address, string.Join(" ", problems));
            return await RenderFormAsync(http, files, db, tag, posted, problems, "", StatusCodes.Status400BadRequest, ct);
        }
        var receipt = await ReportStore.FileAsync(db, photos, tag.AssetId, tag.Id, form, now, ct);
        log.LogInformation("Report {Receipt} filed on {Asset} ({Code}) from plate {Tag}{Urgent}, {Photos} photos",
            receipt, tag.AssetName, tag.AssetCode, tag.Id, form.Urgent ? ", URGENT (priority-1 alarm raised)" : "", form.Photos.Count);
        return PageResults.SeeOther(http, $"/r/{receipt}?new=true");
    }

    private static async Task<IResult> SeenTooAsync(HttpContext http, string tagId, long reportId, NpgsqlDataSource db, ReportLimits limits,
        ILogger<ReportLimits> log, CancellationToken ct)
    {
        var tag = await PlateAsync(db, tagId, ct);
        if (tag is null || !Accounts.SameOrigin.Allows(http.Request))
        {
            return Refusal(http, StatusCodes.Status404NotFound, "이 표지의 신고를 찾을 수 없습니다.");
        }
        if (!limits.TryAcquire("seen", http.Connection.RemoteIpAddress))
        {
            log.LogWarning("'Seen too' refused for report {Report} from {Address}: over the hourly allowance", reportId, http.Connection.RemoteIpAddress);
            return Refusal(http, StatusCodes.Status429TooManyRequests, "잠시 뒤에 다시 눌러 주세요. 한 곳에서 너무 자주 눌렀습니다.");
        }
        if (!await ReportStore.SeenTooAsync(db, reportId, tag.AssetId, ct))
        {
            return Refusal(http, StatusCodes.Status404NotFound, "이 신고는 이미 처리되었거나 이 시설의 신고가 아닙니다.");
        }
        return PageResults.SeeOther(http, $"/t/{tag.Id}/report?seen=true");
    }

    private static async Task<IResult> ReceiptAsync(HttpContext http, string receipt, bool? @new, NpgsqlDataSource db, WebAppFiles files, CancellationToken ct)
    {
        if (files.Page("citizen", "receipt") is not { } template)
        {
            return PageResults.NotBuilt(http, "신고 접수증");
        }
        PublicReport? report = null;
        if (receipt.Length <= 20)
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            report = await ReportStore.FindAsync(conn, receipt, ct);
        }
        if (report is null)
        {
            return Refusal(http, StatusCodes.Status404NotFound, $"접수번호 {receipt}인 신고가 없습니다. 번호를 다시 확인해 주세요 (예: R-20261201-0001).");
        }
        var notice = @new == true
            ? $"""<p class="ok-notice" role="status">신고가 접수되었습니다. 접수번호는 <strong>{PageResults.Encode(report.Receipt)}</strong>입니다.{(report.Urgent ? " 긴급 신고로 상황실에 바로 알렸습니다." : "")}</p>"""
            : "";
        return PageResults.Html(http, PageResults.Fill(template, new Dictionary<string, string>
        {
            ["notice"] = notice,
            ["receipt"] = PageResults.Encode(report.Receipt),
            ["asset"] = PageResults.Encode($"{report.AssetName} · {report.AssetCode}"),
            ["received"] = $"{SeoulCalendar.ToSeoul(report.ReceivedAt):yyyy년 M월 d일 HH:mm}",
            ["state"] = ReportStore.KoreanState(report.State),
            ["result"] = report.ResultNote is null ? "아직 없습니다." : PageResults.Encode(report.ResultNote),
            // Back to the plate the report was filed from: the asset's safety page, where its open reports are listed too.
            ["back"] = report.TagId is null ? "" :
                $"""<p><a class="button secondary" href="/t/{PageResults.Encode(report.TagId)}">{PageResults.Encode(report.AssetName)} 안전 정보로 돌아가기</a></p>""",
        }));
    }

    /// <summary>A refusal as a small page of its own, for what has no form to go back to.</summary>
    private static IResult Refusal(HttpContext http, int status, string message) => PageResults.Html(http, $"""
        <!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>신고를 받지 못했습니다 · 파주 현장안전</title><link rel="icon" href="data:,"></head>
        <body><main><h1>신고를 받지 못했습니다</h1><p role="alert">{PageResults.Encode(message)}</p><p><a href="/">처음으로</a></p></main></body></html>
        """, status);

    /// <summary>What was refused, kept for review: the text fields and the photos' names and sizes, never the photos or a contact.</summary>
    private static Task KeepAsync(NpgsqlDataSource db, HttpContext http, Tag tag, IFormCollection posted, string code, string reason)
    {
        var fields = posted.Where(f => f.Key is not ("name" or "phone"))
            .ToDictionary(f => f.Key, f => Shorten(f.Value.ToString(), 2000));
        var payload = JsonSerializer.SerializeToUtf8Bytes(new
        {
            tag = tag.Id, asset = tag.AssetCode, fields,
            photos = posted.Files.Select(f => new { f.Name, f.FileName, f.Length, f.ContentType }),
            contactGiven = posted["name"].ToString().Length + posted["phone"].ToString().Length > 0,
        });
        return DeadLetters.KeepAsync(db, Actor.From(http), DeadLetters.TopicOf(http.Request), code, reason, payload, CancellationToken.None);
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
