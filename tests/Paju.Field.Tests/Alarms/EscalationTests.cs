using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Devices;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Alarms;

/// <summary>
/// Escalation of unacknowledged priority 1–2 alarms to the city's gateway: a signed JSON POST,
/// retried with backoff, tested against a local receiver that fails the first two attempts.
/// </summary>
public sealed class EscalationTests(PostgisServer server) : IAsyncLifetime
{
    private const string Secret = "gateway-shared-secret";
    private readonly TestDatabase _db = new(server);
    private readonly ConcurrentQueue<(string Body, string Signature, string Timestamp)> _received = new();
    private WebApplication _receiver = null!;
    private TestServer _server = null!;
    private int _device;
    private int _failuresLeft = 2;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _receiver = builder.Build();
        _receiver.MapPost("/sms", async (HttpRequest request) =>
        {
            var body = await new StreamReader(request.Body).ReadToEndAsync();
            _received.Enqueue((body, request.Headers[WebhookNotifier.SignatureHeader].ToString(), request.Headers[WebhookNotifier.TimestampHeader].ToString()));
            return Interlocked.Decrement(ref _failuresLeft) >= 0 ? Results.StatusCode(500) : Results.Ok();
        });
        await _receiver.StartAsync();

        await _db.InitializeAsync();
        _device = (await TestDevices.AddAsync(_db.DataSource, "ulgok-ps2-plc", "ulgok-ps2")).Device.Id;
        _server = await TestServer.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Alarms:Escalation:WebhookUrl"] = _receiver.Urls.First() + "/sms",
            ["Paju:Alarms:Escalation:Secret"] = Secret,
            ["Paju:Alarms:Escalation:AfterMinutes"] = "10",
            ["Paju:Alarms:Escalation:RetryMilliseconds"] = "10",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    private async Task<long> RaiseAsync(string code, short priority, DateTimeOffset at)
    {
        var rule = await _db.ScalarAsync<int>("""
            INSERT INTO alarm_rule (code, device, kind, priority, message_ko) VALUES ($1, $2, 'offline', $3, '통신 두절') RETURNING id
            """, code, _device, priority);
        await _db.ExecuteAsync("UPDATE device SET online = false WHERE id = $1", _device);
        await _server.Services.GetRequiredService<AlarmEvaluator>().EvaluateAsync(at, default);
        return await _db.ScalarAsync<long>("SELECT id FROM alarm WHERE rule_id = $1", rule);
    }

    [Fact]
    public async Task An_unacknowledged_priority_2_alarm_is_sent_signed_and_retried_until_accepted()
    {
        var raisedAt = new DateTimeOffset(2026, 8, 10, 3, 0, 0, TimeSpan.Zero);
        var alarm = await RaiseAsync("ps2-offline", 2, raisedAt);
        var escalator = _server.Services.GetRequiredService<AlarmEscalator>();

        Assert.Equal(0, await escalator.EscalateAsync(raisedAt.AddMinutes(9), default));   // not yet
        Assert.Equal(1, await escalator.EscalateAsync(raisedAt.AddMinutes(11), default));
        Assert.Equal(0, await escalator.EscalateAsync(raisedAt.AddMinutes(12), default));  // once only

        Assert.Equal(3, _received.Count);   // two refusals, then accepted
        var (body, signature, timestamp) = _received.Last();
        Assert.Equal("sha256=" + WebhookNotifier.Sign(Secret, timestamp, body), signature);
        Assert.Contains($"\"alarm\":{alarm}", body);
        Assert.Contains("ps2-offline", body);
        Assert.Equal(1L, await _db.ScalarAsync<long>("SELECT count(*) FROM live_event WHERE type = 'alarm.escalated'"));
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM live_event WHERE type = 'alarm.escalation_failed'"));
    }

    [Fact]
    public async Task An_urgent_citizen_report_is_escalated_as_any_priority_1_alarm()
    {
        var filedAt = new DateTimeOffset(2026, 8, 10, 3, 0, 0, TimeSpan.Zero);
        var asset = await _db.ScalarAsync<long>("""
            INSERT INTO asset (kind, code, name, geom) VALUES ('playground', 'PG-ESC1', '경보 시험 놀이터', ST_SetSRID(ST_MakePoint(126.78, 37.76), 4326)) RETURNING id
            """);
        var form = new Paju.Field.Server.Reports.ReportForm("미끄럼틀에서 떨어져 다리가 부러졌습니다.", true, ["fracture"], null, null, null, null, null, false, []);
        var receipt = await Paju.Field.Server.Reports.ReportStore.FileAsync(_db.DataSource,
            _server.Services.GetRequiredService<Paju.Field.Server.Inspections.IPhotoStore>(), asset, null, form, filedAt, default);
        var escalator = _server.Services.GetRequiredService<AlarmEscalator>();

        Assert.Equal(0, await escalator.EscalateAsync(filedAt.AddMinutes(9), default));
        Assert.Equal(1, await escalator.EscalateAsync(filedAt.AddMinutes(11), default));

        var (body, signature, timestamp) = _received.Last();
        Assert.Equal("sha256=" + WebhookNotifier.Sign(Secret, timestamp, body), signature);
        Assert.Contains($"report:{receipt}", body);
        Assert.Contains("\"priority\":1", body);
    }

    [Fact]
    public async Task Acknowledged_and_low_priority_alarms_are_not_escalated()
    {
        var raisedAt = new DateTimeOffset(2026, 8, 10, 3, 0, 0, TimeSpan.Zero);
        var acknowledged = await RaiseAsync("ps2-offline-acked", 1, raisedAt);
        await _db.ExecuteAsync("UPDATE alarm SET acknowledged_at = now(), acknowledged_by = 'operator' WHERE id = $1", acknowledged);
        await RaiseAsync("ps2-offline-low", 3, raisedAt);

        Assert.Equal(0, await _server.Services.GetRequiredService<AlarmEscalator>().EscalateAsync(raisedAt.AddHours(1), default));
        Assert.Empty(_received);
    }
}
