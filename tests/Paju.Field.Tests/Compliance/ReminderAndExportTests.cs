using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Compliance;
using Paju.Field.Tests.Inspections;
using static Paju.Field.Tests.Inspections.InspectionFixture;

namespace Paju.Field.Tests.Compliance;

/// <summary>Reminders through the signed webhook to a local gateway, and a month's results as CSV Excel reads and as GeoJSON.</summary>
public sealed class ReminderAndExportTests(InspectionFixture f) : IClassFixture<InspectionFixture>
{
    [Fact]
    public async Task What_falls_due_reaches_the_gateway_signed_and_the_app_per_department()
    {
        await f.Db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom, created_at) VALUES
              ('playground', 'PG-REM1', '알림 시험 놀이터', ST_SetSRID(ST_MakePoint(126.80, 37.78), 4326), now() - interval '120 days')
            ON CONFLICT DO NOTHING
            """);
        await f.PutAsync(Guid.NewGuid(), Now(Monthly("PG-I0002", grade: "요수리", extraAnswers: new() { ["signs"] = "요수리" })));
        // Twelve days later the finding (due in 14) comes within the week's reminders.
        await f.Db.ExecuteAsync("UPDATE finding SET due_on = (now() AT TIME ZONE 'Asia/Seoul')::date + 2 WHERE item = 'signs'");
        var received = new ConcurrentQueue<(string Body, string Signature, string Timestamp)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var gateway = builder.Build();
        gateway.MapPost("/notify", async (HttpRequest request) =>
        {
            received.Enqueue((await new StreamReader(request.Body).ReadToEndAsync(), request.Headers[WebhookNotifier.SignatureHeader].ToString(),
                request.Headers[WebhookNotifier.TimestampHeader].ToString()));
            return Results.Ok();
        });
        await gateway.StartAsync();
        var reminders = new Reminders(f.Db.DataSource, new HttpClient(), new EscalationOptions { WebhookUrl = gateway.Urls.First() + "/notify", Secret = "s3cret" },
            TimeProvider.System, NullLogger<Reminders>.Instance);

        Assert.True(await reminders.SendAsync(DateTimeOffset.UtcNow, default));

        var (body, signature, timestamp) = Assert.Single(received);
        Assert.Equal("sha256=" + WebhookNotifier.Sign("s3cret", timestamp, body), signature);
        var message = JsonDocument.Parse(body).RootElement;
        Assert.Equal("reminders", message.GetProperty("type").GetString());
        var safety = message.GetProperty("departments").EnumerateArray().Single(d => d.GetProperty("department").GetString() == "안전총괄과");
        var items = safety.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(items, i => i.GetProperty("assetCode").GetString() == "PG-REM1" && i.GetProperty("state").GetString() == "overdue"
                                    && i.GetProperty("what").GetString() == "월 안전점검");
        Assert.Contains(items, i => i.GetProperty("assetCode").GetString() == "PG-I0002" && i.GetProperty("what").GetString()!.Contains("안전수칙 등 표시상태"));

        using var client = f.Client("operator.yoon");
        var inApp = await client.GetFromJsonAsync<JsonElement>("/api/reminders?department=안전총괄과");
        Assert.Contains(inApp.EnumerateArray(), i => i.GetProperty("assetCode").GetString() == "PG-REM1");
    }

    [Fact]
    public async Task A_months_results_export_as_CSV_that_reads_back_in_Korean_and_as_GeoJSON()
    {
        var (_, receipt) = await f.PutAsync(Guid.NewGuid(), Now(Monthly("PG-I0001", grade: "요주의", extraAnswers: new() { ["wear"] = "요주의" })));
        var month = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul")).ToString("yyyy-MM");
        using var client = f.Client("operator.yoon");

        var csv = await client.GetByteArrayAsync($"/api/compliance/export?month={month}");
        var geojson = await client.GetFromJsonAsync<JsonElement>($"/api/compliance/export?month={month}&format=geojson");
        using var noPeriod = await client.GetAsync("/api/compliance/export");

        Assert.Equal([0xEF, 0xBB, 0xBF], csv[..3]);
        var lines = Encoding.UTF8.GetString(csv[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("접수번호,시설 종류,시설 코드,시설 이름,읍면동,점검,판정,점검 완료 (서울),점검자,사진,위도,경도,이용금지", lines[0]);
        var row = lines.Single(l => l.StartsWith(receipt.GetProperty("receipt").GetString()!, StringComparison.Ordinal)).Split(',');
        Assert.Equal(["어린이 놀이시설", "PG-I0001", "한빛마을 9단지 놀이터"], row[1..4]);
        Assert.Equal("어린이놀이시설 월 안전점검", row[5]);
        Assert.Equal("요주의", row[6]);
        var feature = geojson.GetProperty("features").EnumerateArray().Single(x => x.GetProperty("properties").GetProperty("receipt").GetString() == receipt.GetProperty("receipt").GetString());
        Assert.Equal("Point", feature.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal(126.7802, feature.GetProperty("geometry").GetProperty("coordinates")[0].GetDouble(), 4);
        Assert.Equal(400, (int)noPeriod.StatusCode);
    }
}
