using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Live;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Alarms;

/// <summary>Acknowledge and shelve over the API, audited; the live feed misses nothing across a reconnect.</summary>
public sealed class AlarmLifecycleTests(AlarmFixture alarms) : IClassFixture<AlarmFixture>
{
    private async Task<long> RaiseAsync(string code)
    {
        var rule = await alarms.RuleAsync(code, AlarmRuleKinds.High, $"{code.Replace('-', '_')}_m", 5.0);
        await alarms.ReadingAsync($"{code.Replace('-', '_')}_m", 7.0, DateTimeOffset.UtcNow);
        await alarms.Evaluator.EvaluateAsync(DateTimeOffset.UtcNow, default);
        return await alarms.Db.ScalarAsync<long>("SELECT id FROM alarm WHERE rule_id = $1 AND cleared_at IS NULL", rule);
    }

    [Fact]
    public async Task Acknowledging_records_who_and_why_and_is_audited()
    {
        var alarm = await RaiseAsync("ack-test");
        using var client = alarms.Operator();

        var response = await client.PostAsJsonAsync($"/api/alarms/{alarm}/acknowledge", new { comment = "현장 확인 중" });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("operator.kang", await alarms.Db.ScalarAsync<string>("SELECT acknowledged_by FROM alarm WHERE id = $1", alarm));
        Assert.Equal("현장 확인 중", await alarms.Db.ScalarAsync<string>("SELECT ack_comment FROM alarm WHERE id = $1", alarm));
        Assert.Equal(1L, await alarms.Db.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'alarm.acknowledged' AND entity_id = $1 AND actor = 'operator.kang'", alarm.ToString()));
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"/api/alarms/{alarm}/acknowledge", new { comment = "again" })).StatusCode);

        var list = await client.GetFromJsonAsync<JsonElement>("/api/alarms");
        Assert.Contains(list.EnumerateArray(), a => a.GetProperty("id").GetInt64() == alarm && a.GetProperty("acknowledgedBy").GetString() == "operator.kang");
    }

    [Fact]
    public async Task Shelving_needs_a_reason_is_audited_and_ends_by_itself()
    {
        var alarm = await RaiseAsync("shelve-test");
        using var client = alarms.Operator();
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/alarms/{alarm}/shelve", new { minutes = 30, reason = "" })).StatusCode);

        var response = await client.PostAsJsonAsync($"/api/alarms/{alarm}/shelve", new { minutes = 30, reason = "센서 교체 작업" });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1L, await alarms.Db.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'alarm.shelved' AND entity_id = $1 AND detail->'detail'->>'reason' = '센서 교체 작업'", alarm.ToString()));
        await alarms.Evaluator.EvaluateAsync(DateTimeOffset.UtcNow.AddMinutes(31), default);
        Assert.True(await alarms.Db.ScalarAsync<bool>("SELECT shelved_until IS NULL FROM alarm WHERE id = $1", alarm));
        Assert.Equal(1L, await alarms.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'alarm.unshelved' AND entity_id = $1", alarm.ToString()));
    }

    [Fact]
    public async Task Anonymous_and_non_operators_get_no_alarms()
    {
        using var client = alarms.Server.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/alarms")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/live")).StatusCode);
    }

    [Fact]
    public async Task A_live_client_cut_off_mid_stream_gets_what_it_missed_on_reconnect()
    {
        using var client = alarms.Operator();
        client.Timeout = Timeout.InfiniteTimeSpan;
        var first = await RaiseAsync("live-1");
        var seen = new List<SseReader.Event>();

        using (var response = await client.GetAsync("/api/live?lastEventId=0", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            using var reader = new SseReader(await response.Content.ReadAsStreamAsync());
            var expected = await alarms.Db.ScalarAsync<long>("SELECT count(*) FROM live_event");
            while (seen.Count < expected)
            {
                seen.Add(await reader.NextAsync(TimeSpan.FromSeconds(60)));
            }
        }   // cut off

        // Meanwhile: more transitions.
        await RaiseAsync("live-2");
        await RaiseAsync("live-3");
        var missed = await alarms.Db.ScalarAsync<long>("SELECT count(*) FROM live_event WHERE id > $1", seen[^1].Id);
        Assert.True(missed >= 2);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live");
        request.Headers.Add("Last-Event-ID", seen[^1].Id.ToString());
        using var again = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var resumed = new SseReader(await again.Content.ReadAsStreamAsync());
        for (var i = 0; i < missed; i++)
        {
            seen.Add(await resumed.NextAsync(TimeSpan.FromSeconds(60)));
        }
        // And it stays live: a transition after the reconnect arrives too, with heartbeats in between.
        await alarms.Db.ExecuteAsync("UPDATE alarm SET acknowledged_at = now() WHERE id = $1", first);
        await RaiseAsync("live-4");
        seen.Add(await resumed.NextAsync(TimeSpan.FromSeconds(60)));

        var ids = seen.Select(e => e.Id).ToList();
        var stored = await alarms.Db.ScalarAsync<long[]>("SELECT array_agg(id ORDER BY id) FROM live_event WHERE id <= $1", ids[^1]);
        Assert.Equal(stored, ids);   // every event, once, in order
        Assert.Contains(seen, e => e.Type == LiveEventTypes.AlarmRaised && e.Data.Contains("live-3"));
    }
}
