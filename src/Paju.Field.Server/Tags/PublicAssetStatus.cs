using System.Globalization;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Compliance;
using Paju.Field.Server.WebApps;

namespace Paju.Field.Server.Tags;

/// <summary>
/// What the plate's public page says about its asset: for a playground the latest monthly check and its grade in plain
/// words, the periodic inspection's validity, whether it is closed (이용금지) and why, and whom to call. Nothing
/// personal: no inspector's name, no account, only the managing body's public contact.
/// </summary>
public sealed record PublicAssetStatus(
    string Kind, string? Address, string? Grade, DateTimeOffset? LastMonthlyCheck, DateTimeOffset Since, DateOnly? PeriodicValidUntil,
    DateTimeOffset? ClosedAt, string? ClosedReason, string? BodyName, string? BodyPhone, long OpenReports)
{
    private const string Query = """
        SELECT a.kind, coalesce(pg.road_address, pg.lot_address, a.address), pg.grade, lc.finished_at, a.created_at,
               pg.periodic_valid_until, a.closed_at, a.closed_reason, mb.name, mb.phone,
               (SELECT count(*) FROM report r WHERE r.asset_id = a.id AND r.state IN ('received', 'in_review'))
        FROM asset a
        LEFT JOIN playground pg ON pg.asset_id = a.id
        LEFT JOIN latest_check lc ON lc.asset_id = a.id AND lc.program = 'playground-monthly'
        LEFT JOIN managing_body mb ON mb.id = a.managing_body_id
        WHERE a.id = $1
        """;

    /// <summary>The grades as the statute defines them, said the way a parent at the gate needs them.</summary>
    public static string Meaning(string grade) => grade switch
    {
        "양호" => "이용자에게 위험을 줄 수 있는 요소가 없습니다.",
        "요주의" => "위험 요소는 없지만, 내구연한이 지난 기구나 부품이 있어 지켜보고 있습니다.",
        "요수리" => "수리가 필요한 부분이 있습니다. 수리될 때까지 이용할 때 주의해 주세요.",
        "이용금지" => "위험 요소가 있어 이용할 수 없습니다.",
        _ => "",
    };

    public static async Task<PublicAssetStatus?> ReadAsync(NpgsqlConnection conn, long assetId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Query, conn) { Parameters = { new() { Value = assetId } } };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateTimeOffset? At(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
        return new PublicAssetStatus(r.GetString(0), Text(1), Text(2), At(3), r.GetFieldValue<DateTimeOffset>(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateOnly>(5), At(6), Text(7), Text(8), Text(9), r.GetInt64(10));
    }

    /// <summary>The status section of the page, HTML-encoded, as of <paramref name="now"/>.</summary>
    public string StatusHtml(DateTimeOffset now)
    {
        if (Kind != Paju.Field.Assets.AssetKinds.Playground)
        {
            return Address is null ? "" : $"""<dl class="facts"><dt>주소</dt><dd>{PageResults.Encode(Address)}</dd></dl>""";
        }
        var html = new System.Text.StringBuilder();
        if (ClosedAt is { } closedAt)
        {
            html.Append($"""
                <section class="closed-banner" aria-labelledby="closed-title">
                  <h2 id="closed-title">이용금지</h2>
                  <p>안전을 위해 이 놀이시설의 이용을 금지했습니다. 시설에 들어가거나 기구를 이용하지 마세요.</p>
                  <p><strong>사유</strong> {PageResults.Encode(ClosedReason)}</p>
                  <p><strong>금지일</strong> <time datetime="{Day(closedAt):yyyy-MM-dd}">{Day(closedAt):yyyy년 M월 d일}</time></p>
                </section>
                """);
        }
        else if (Grade == "양호")
        {
            html.Append("""<p class="grade-note grade-good"><strong>이용할 수 있습니다</strong> — 최근 안전점검 결과 양호</p>""");
        }
        else if (Grade is { } grade)
        {
            html.Append($"""<p class="grade-note grade-{GradeClass(grade)}"><strong>{PageResults.Encode(grade)}</strong> — {Meaning(grade)}</p>""");
        }
        html.Append("""<dl class="facts status">""");
        if (Address is not null)
        {
            html.Append($"<dt>주소</dt><dd>{PageResults.Encode(Address)}</dd>");
        }
        html.Append("<dt>월 안전점검</dt><dd>").Append(MonthlyHtml(now)).Append("</dd>");
        html.Append("<dt>정기시설검사</dt><dd>").Append(PeriodicHtml(now)).Append("</dd>");
        html.Append("</dl>");
        return html.ToString();
    }

    private string MonthlyHtml(DateTimeOffset now)
    {
        var state = ComplianceRules.Monthly(LastMonthlyCheck, Since, now);
        var last = LastMonthlyCheck is { } at
            ? $"""최근 점검 <time datetime="{Day(at):yyyy-MM-dd}">{Day(at):yyyy년 M월 d일}</time>{(Grade is null ? "" : $", 결과 <strong>{PageResults.Encode(Grade)}</strong>")}"""
            : "점검 기록이 아직 없습니다";
        var line = state.State switch
        {
            DueState.Done when ClosedAt is not null => "이번 달 점검을 마쳤습니다.",
            DueState.Done => """<span class="status-ok">이번 달 점검을 마쳤습니다.</span>""",
            DueState.Overdue => """<span class="status-bad">법정 월 점검이 늦어지고 있습니다.</span>""",
            _ => $"이번 달 점검은 {state.DueOn:M월 d일}까지입니다.",
        };
        var meaning = Grade is { } g && ClosedAt is null ? $"<br><span class=\"muted\">{PageResults.Encode(g)}: {Meaning(g)}</span>" : "";
        return $"{last}<br>{line}{meaning}";
    }

    private string PeriodicHtml(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime);
        if (PeriodicValidUntil is not { } until)
        {
            return "검사 기록이 없습니다.";
        }
        var date = $"""<time datetime="{until:yyyy-MM-dd}">{until.ToString("yyyy년 M월 d일", CultureInfo.InvariantCulture)}</time>""";
        return ComplianceRules.Periodic(until, today).State == DueState.Overdue
            ? $"""<span class="status-bad">유효기간이 {date}에 끝났습니다.</span>"""
            : $"""<span class="status-ok">합격</span> · 유효기간 {date}까지""";
    }

    /// <summary>The way to report a hazard here, with the reports already open on this asset (so a citizen adds to them).</summary>
    public string ReportHtml(string tagId) =>
        $"""<p><a class="button" href="/t/{PageResults.Encode(tagId)}/report">위험 신고하기</a></p>""" +
        (OpenReports > 0 ? $"""<p class="muted">이 시설에 처리 중인 신고가 {OpenReports}건 있습니다.</p>""" : "");

    private static string GradeClass(string grade) => grade switch { "요주의" => "caution", "요수리" => "repair", _ => "closed" };

    private static DateTime Day(DateTimeOffset at) => SeoulCalendar.ToSeoul(at).DateTime;
}
