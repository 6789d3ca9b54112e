using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Reports;
using Paju.Field.Server.Tags;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Inspections;

namespace Paju.Field.Tests.Reports;

/// <summary>
/// A citizen reports a hazard from the plate: the form without scripts, a photo to the operators' queue, an urgent one
/// as a priority-1 alarm on the live feed until triage, "저도 봤어요" instead of a duplicate, limits answered in Korean,
/// and contact details gone when their retention ends.
/// </summary>
public sealed class ReportTests(InspectionFixture f, Browser browser) : IClassFixture<InspectionFixture>, IAsyncLifetime
{
    private Tag _plate = null!;

    public async ValueTask InitializeAsync()
    {
        var keys = new TagKeyStore(Path.Combine(f.Server.DataDirectory, "keys", "tags.json"));
        await using var conn = await f.Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var asset = await AssetRef.ResolveAsync(conn, tx, "PG-I0001", null, default);
        _plate = await TagStore.AddAsync(conn, tx, keys, asset, "qr", null, null, Actor.System("test"), default);
        await tx.CommitAsync();
    }

    /// <summary>
    /// A citizen's phone at an address of its own: the per-address limit is kept per connecting address (a forwarded
    /// header is not trusted), and on Linux any 127.x.y.z reaches the server, so each test is a different neighbour.
    /// </summary>
    private HttpClient Citizen(byte host) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, host]), 0));
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = f.Server.BaseAddress };

    private static MultipartFormDataContent Form(string description, string injured = "no", string[]? injuries = null, string? name = null,
        string? phone = null, bool consent = false, byte[]? photo = null, string? website = null)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(description), "description" },
            { new StringContent(injured), "injured" },
        };
        foreach (var injury in injuries ?? [])
        {
            form.Add(new StringContent(injury), "injury");
        }
        if (name is not null) form.Add(new StringContent(name), "name");
        if (phone is not null) form.Add(new StringContent(phone), "phone");
        if (consent) form.Add(new StringContent("yes"), "consent");
        if (website is not null) form.Add(new StringContent(website), "website");
        if (photo is not null)
        {
            var content = new ByteArrayContent(photo);
            content.Headers.ContentType = new("image/jpeg");
            form.Add(content, "photos", "hazard.jpg");
        }
        return form;
    }

    private async Task<string> FileAsync(MultipartFormDataContent form, byte host)
    {
        using var citizen = Citizen(host);
        using var response = await citizen.PostAsync($"/t/{_plate.Id}/report", form);
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location!.OriginalString.Split('/', '?')[2];
    }

    private async Task<JsonElement> QueuedAsync(string receipt)
    {
        using var operators = f.Client("operator.yoon");
        var queue = await operators.GetFromJsonAsync<JsonElement>("/api/reports?state=all");
        return queue.EnumerateArray().Single(r => r.GetProperty("receipt").GetString() == receipt);
    }

    [Fact]
    public async Task On_a_phone_without_scripts_a_report_with_a_photo_reaches_the_operators_queue_and_its_receipt_shows_no_contact()
    {
        var photo = TestPhotos.Jpeg(200_000, seed: 7);
        var photoFile = Path.Combine(TempDirectory.Create("paju-report-photo-"), "swing.jpg");
        await File.WriteAllBytesAsync(photoFile, photo);
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall, javaScript: false);
        var page = session.Page;

        await session.GotoAsync($"/t/{_plate.Id}");
        await page.GetByRole(AriaRole.Link, new() { Name = "위험 신고하기" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "위험 신고", Level = 1 })).ToBeVisibleAsync();
        await page.GetByLabel("무엇이 위험한가요? (필수)").FillAsync("그네 오른쪽 쇠사슬 고리가 벌어져 있습니다.");
        await page.GetByRole(AriaRole.Radio, new() { Name = "아니요" }).CheckAsync();
        await page.GetByLabel("사진 (선택, 5장까지, 한 장에 10 MB까지)").SetInputFilesAsync(photoFile);
        await page.GetByLabel("이름").FillAsync("박시민");
        await page.GetByLabel("전화번호").FillAsync("010-2345-6789");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "위 개인정보 수집·이용에 동의합니다" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "신고 보내기" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("신고가 접수되었습니다");
        var receipt = (await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).TextContentAsync())!.Replace("신고 ", "").Trim();
        Assert.Matches(@"^R-\d{8}-\d{4}$", receipt);
        await Assertions.Expect(page.Locator(".facts")).ToContainTextAsync("접수");
        Assert.DoesNotContain("박시민", await page.ContentAsync());
        Assert.DoesNotContain("010-2345-6789", await page.ContentAsync());

        var queued = await QueuedAsync(receipt);
        Assert.False(queued.GetProperty("urgent").GetBoolean());
        Assert.Equal("박시민", queued.GetProperty("contact").GetProperty("name").GetString());
        Assert.Equal(1, queued.GetProperty("photos").GetInt32());
        using var operators = f.Client("operator.yoon");
        var stored = await operators.GetByteArrayAsync($"/api/reports/{queued.GetProperty("id").GetInt64()}/photos/1");
        Assert.Equal(SHA256.HashData(photo), SHA256.HashData(stored));
        // Anyone else is refused the queue and the photos.
        using var viewer = f.Client("viewer.choi");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/reports")).StatusCode);

        // With scripts on, the same pages pass the accessibility check; the form at 360×800 is kept as a screenshot.
        await using var shown = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall);
        await shown.GotoAsync($"/t/{_plate.Id}/report");
        await shown.CheckScreenAsync("form");
        await shown.GotoAsync($"/r/{receipt}");
    }

    [Fact]
    public async Task With_scripts_a_cameras_photo_is_made_smaller_on_the_phone_and_its_position_goes_with_the_report()
    {
        var photo = TestPhotos.Camera();
        var photoFile = Path.Combine(TempDirectory.Create("paju-report-photo-"), "IMG_0001.jpg");
        await File.WriteAllBytesAsync(photoFile, photo);
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall);
        await session.PlaceAtAsync(InspectionFixture.Lat + 0.0001, InspectionFixture.Lon, 12);
        var page = session.Page;
        await session.GotoAsync($"/t/{_plate.Id}/report");
        await page.GetByLabel("무엇이 위험한가요? (필수)").FillAsync("정글짐 꼭대기 발판이 빠져 있습니다.");
        await page.GetByRole(AriaRole.Radio, new() { Name = "아니요" }).CheckAsync();
        await page.GetByLabel("사진 (선택, 5장까지, 한 장에 10 MB까지)").SetInputFilesAsync(photoFile);
        await Assertions.Expect(page.Locator("#photo-status")).ToContainTextAsync("로 줄였습니다");
        await page.GetByRole(AriaRole.Button, new() { Name = "현재 위치 넣기 (선택)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#location-status")).ToContainTextAsync("현재 위치를 넣었습니다 (오차 약 12 m)");
        await session.CheckScreenAsync("photo-shrunk");
        await page.GetByRole(AriaRole.Button, new() { Name = "신고 보내기" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("신고가 접수되었습니다");

        var receipt = (await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).TextContentAsync())!.Replace("신고 ", "").Trim();
        var queued = await QueuedAsync(receipt);
        using var operators = f.Client("operator.yoon");
        var stored = await operators.GetByteArrayAsync($"/api/reports/{queued.GetProperty("id").GetInt64()}/photos/1");
        Assert.True(stored.Length < photo.Length, $"stored {stored.Length} B, taken {photo.Length} B");
        using var codec = SkiaSharp.SKCodec.Create(new MemoryStream(stored));
        Assert.Equal((2048, 1536), (codec.Info.Width, codec.Info.Height));
        Assert.Equal(InspectionFixture.Lat + 0.0001, queued.GetProperty("lat").GetDouble(), 5);
    }

    [Fact]
    public async Task An_urgent_report_raises_a_priority_1_alarm_on_the_live_feed_and_triage_clears_it()
    {
        using var operators = f.Client("operator.yoon");
        using var live = await operators.GetAsync("/api/live", HttpCompletionOption.ResponseHeadersRead);
        using var feed = new SseReader(await live.Content.ReadAsStreamAsync());

        var receipt = await FileAsync(Form("미끄럼틀에서 떨어져 팔이 부러진 것 같습니다.", injured: "yes", injuries: ["fracture"]), host: 12);

        SseReader.Event raised;
        do
        {
            raised = await feed.NextAsync(TimeSpan.FromSeconds(60));
        }
        while (raised.Type != "alarm.raised");
        var payload = JsonDocument.Parse(raised.Data).RootElement;
        Assert.Equal($"report:{receipt}", payload.GetProperty("rule").GetString());
        Assert.Equal(1, payload.GetProperty("priority").GetInt32());
        Assert.Contains("한빛마을 9단지 놀이터", payload.GetProperty("message").GetString());
        var alarms = await operators.GetFromJsonAsync<JsonElement>("/api/alarms");
        Assert.Contains(alarms.EnumerateArray(), a => a.GetProperty("rule").GetString() == $"report:{receipt}" && a.GetProperty("priority").GetInt32() == 1);

        var queued = await QueuedAsync(receipt);
        Assert.True(queued.GetProperty("urgent").GetBoolean());
        var triage = await operators.PostAsJsonAsync($"/api/reports/{queued.GetProperty("id").GetInt64()}/triage", new { assignee = "operator.yoon" });
        Assert.Equal(HttpStatusCode.NoContent, triage.StatusCode);

        SseReader.Event cleared;
        do
        {
            cleared = await feed.NextAsync(TimeSpan.FromSeconds(60));
        }
        while (cleared.Type != "alarm.cleared");
        Assert.Equal($"report:{receipt}", JsonDocument.Parse(cleared.Data).RootElement.GetProperty("rule").GetString());
        queued = await QueuedAsync(receipt);
        Assert.Equal("in_review", queued.GetProperty("state").GetString());
        Assert.Equal("operator.yoon", queued.GetProperty("assignee").GetString());
        Assert.Equal(JsonValueKind.Null, queued.GetProperty("openAlarm").ValueKind);
    }

    [Fact]
    public async Task Seen_too_adds_to_the_open_report_and_the_result_note_reaches_the_public_receipt_and_the_csv()
    {
        var receipt = await FileAsync(Form("시소 손잡이가 흔들립니다."), host: 13);
        await using var session = await WebSession.OpenAsync(browser, f.Server.BaseAddress, Viewport.PhoneSmall, javaScript: false);
        await session.GotoAsync($"/t/{_plate.Id}/report");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = $"저도 봤어요 ({receipt})" }).ClickAsync();
        await Assertions.Expect(session.Page.Locator(".ok-notice")).ToContainTextAsync("한 명 더 있다고 전했습니다");
        var queued = await QueuedAsync(receipt);
        Assert.Equal(1, queued.GetProperty("seenToo").GetInt32());

        using var operators = f.Client("operator.yoon");
        var tooShort = await operators.PostAsJsonAsync($"/api/reports/{queued.GetProperty("id").GetInt64()}/resolve", new { note = "" });
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains("조치 결과", await tooShort.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await operators.PostAsJsonAsync($"/api/reports/{queued.GetProperty("id").GetInt64()}/resolve",
            new { note = "12월 3일 손잡이 볼트를 교체했습니다." })).StatusCode);

        await session.GotoAsync($"/r/{receipt}");
        await Assertions.Expect(session.Page.Locator(".facts")).ToContainTextAsync("조치 완료");
        await Assertions.Expect(session.Page.Locator(".facts")).ToContainTextAsync("12월 3일 손잡이 볼트를 교체했습니다.");
        // From the receipt back to the plate's page, where the asset's safety state is.
        await session.Page.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("안전 정보로 돌아가기$") }).ClickAsync();
        await session.Page.WaitForURLAsync($"**/t/{_plate.Id}");

        // The control room's map reads open reports as an OGC collection: a resolved one leaves it unless asked for.
        var openLayer = await operators.GetFromJsonAsync<JsonElement>("/ogc/collections/reports/items?limit=1000");
        Assert.DoesNotContain(openLayer.GetProperty("features").EnumerateArray(), r => r.GetProperty("properties").GetProperty("receipt").GetString() == receipt);
        var resolvedLayer = await operators.GetFromJsonAsync<JsonElement>($"/ogc/collections/reports/items?status=resolved&receipt={receipt}");
        var feature = resolvedLayer.GetProperty("features").EnumerateArray().Single();
        Assert.Equal(1, feature.GetProperty("properties").GetProperty("seen_too").GetInt32());
        Assert.Equal(InspectionFixture.Lon + 0.0, feature.GetProperty("geometry").GetProperty("coordinates")[0].GetDouble(), 5);   // at the plate's playground
        using var anonymous = new HttpClient { BaseAddress = f.Server.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/ogc/collections/reports/items")).StatusCode);

        var csv = await operators.GetByteArrayAsync("/api/reports/export");
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, csv[..3]);
        var text = Encoding.UTF8.GetString(csv, 3, csv.Length - 3);
        Assert.StartsWith("접수번호,접수 시각 (서울)", text);
        Assert.Contains($"{receipt},", text);
        Assert.Contains("조치 완료", text);
    }

    [Fact]
    public async Task Refusals_are_answered_in_Korean_and_kept_for_review_and_the_address_limit_holds()
    {
        using var citizen = Citizen(14);
        var trap = await citizen.PostAsync($"/t/{_plate.Id}/report", Form("광고 문구입니다 광고", website: "http://spam.example"));
        Assert.Equal(HttpStatusCode.BadRequest, trap.StatusCode);
        Assert.Contains("자동으로 채워진 신고로 보여", await trap.Content.ReadAsStringAsync());
        var bad = await citizen.PostAsync($"/t/{_plate.Id}/report", Form("짧음", injured: "maybe", name: "김", photo: "not a photo"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var page = WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync());
        Assert.Contains("5자 이상 적어 주세요", page);
        Assert.Contains("'예' 또는 '아니요'를 골라 주세요", page);
        Assert.Contains("개인정보 수집·이용에 동의해 주세요", page);
        Assert.Contains("사진 파일(JPEG, PNG, WebP, HEIC)이 아닙니다", page);
        Assert.Contains("value=\"김\"", page);   // what was typed is given back
        Assert.Equal(2L, await f.Db.ScalarAsync<long>($"SELECT count(*) FROM dead_letter WHERE topic = 'http:POST /t/{_plate.Id}/report' AND reason_code IN ('honeypot', 'invalid')"));
        // Kept without the name or phone: only that a contact was given.
        Assert.Equal(0L, await f.Db.ScalarAsync<long>($"""
            SELECT count(*) FROM dead_letter WHERE topic = 'http:POST /t/{_plate.Id}/report'
              AND (convert_from(payload, 'UTF8') LIKE '%김%' OR lower(convert_from(payload, 'UTF8')) LIKE '%uae40%')
            """));
        Assert.Equal(1L, await f.Db.ScalarAsync<long>($"""
            SELECT count(*) FROM dead_letter WHERE topic = 'http:POST /t/{_plate.Id}/report' AND convert_from(payload, 'UTF8') LIKE '%"contactGiven":true%'
            """));

        // Two refused attempts count against the address as well: three more go through, the sixth is refused.
        for (var i = 0; i < ReportLimits.ReportsPerAddressPerHour - 2; i++)
        {
            Assert.Equal(HttpStatusCode.SeeOther, (await citizen.PostAsync($"/t/{_plate.Id}/report", Form($"벤치 나무 판이 부서졌습니다 {i}"))).StatusCode);
        }
        var limited = await citizen.PostAsync($"/t/{_plate.Id}/report", Form("벤치 나무 판이 또 부서졌습니다"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("한 시간에 5건까지 신고할 수 있습니다", await limited.Content.ReadAsStringAsync());
        Assert.Equal(1L, await f.Db.ScalarAsync<long>($"SELECT count(*) FROM dead_letter WHERE topic = 'http:POST /t/{_plate.Id}/report' AND reason_code = 'rate_limited'"));
    }

    [Fact]
    public async Task An_oversized_photo_and_a_flooded_asset_are_refused_in_Korean()
    {
        using var citizen = Citizen(16);
        var huge = new byte[ReportForm.MaxPhotoBytes + 1024];
        "\xFF\xD8\xFF"u8.ToArray().CopyTo(huge, 0);
        var oversized = await citizen.PostAsync($"/t/{_plate.Id}/report", Form("사진이 큰 신고입니다.", photo: huge));
        Assert.Equal(HttpStatusCode.BadRequest, oversized.StatusCode);
        Assert.Contains("한 장에 10 MB까지 보낼 수 있습니다", WebUtility.HtmlDecode(await oversized.Content.ReadAsStringAsync()));

        // Thirty reports on one asset within the hour (from anywhere): the next is turned to the open ones instead.
        var asset = await f.Db.ScalarAsync<long>("SELECT id FROM asset WHERE code = 'PG-I0002'");
        await f.Db.ExecuteAsync($"""
            INSERT INTO report (receipt, asset_id, received_at, description, injured, urgent)
            SELECT 'R-20000101-' || lpad(n::text, 4, '0'), $1, now() - interval '10 minutes', '같은 시설의 신고 ' || n, false, false
            FROM generate_series(1, {ReportLimits.ReportsPerAssetPerHour}) n
            """, asset);
        var keys = new TagKeyStore(Path.Combine(f.Server.DataDirectory, "keys", "tags.json"));
        Tag park;
        await using (var conn = await f.Db.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            park = await TagStore.AddAsync(conn, tx, keys, await AssetRef.ResolveAsync(conn, tx, "PG-I0002", null, default), "qr", null, null, Actor.System("test"), default);
            await tx.CommitAsync();
        }
        using var neighbour = Citizen(17);
        var flooded = await neighbour.PostAsync($"/t/{park.Id}/report", Form("이 시설 신고가 많습니다."));
        Assert.Equal(HttpStatusCode.TooManyRequests, flooded.StatusCode);
        Assert.Contains("한 시간 동안 신고가 많이 들어와 잠시 받지 않습니다", WebUtility.HtmlDecode(await flooded.Content.ReadAsStringAsync()));
        Assert.Equal(1L, await f.Db.ScalarAsync<long>($"SELECT count(*) FROM dead_letter WHERE topic = 'http:POST /t/{park.Id}/report' AND reason_code = 'asset_rate_limited'"));
    }

    [Fact]
    public async Task Contact_details_are_gone_when_the_stated_retention_ends_and_the_report_stays()
    {
        var receipt = await FileAsync(Form("모래밭에 깨진 유리가 있습니다.", name: "이보호", phone: "010-9876-5432", consent: true), host: 15);
        var job = new ReportRetention(f.Db.DataSource, TimeProvider.System, NullLogger<ReportRetention>.Instance);
        Assert.Equal(0, await job.RunAsync(DateTimeOffset.UtcNow.AddDays(ReportForm.ContactRetentionDays - 1), default));
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM report_contact c JOIN report r ON r.id = c.report_id WHERE r.receipt = $1", receipt));

        Assert.True(await job.RunAsync(DateTimeOffset.UtcNow.AddDays(ReportForm.ContactRetentionDays).AddMinutes(1), default) >= 1);

        Assert.Equal(0L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM report_contact c JOIN report r ON r.id = c.report_id WHERE r.receipt = $1", receipt));
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM report WHERE receipt = $1", receipt));
        Assert.Equal(JsonValueKind.Null, (await QueuedAsync(receipt)).GetProperty("contact").ValueKind);
        Assert.True(await f.Db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'report.contact_deleted' AND detail::text LIKE '%' || $1 || '%')", receipt));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
