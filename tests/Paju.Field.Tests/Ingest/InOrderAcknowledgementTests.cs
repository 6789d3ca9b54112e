using Paju.Field.Server.Ingest;

namespace Paju.Field.Tests.Ingest;

/// <summary>PUBACKs leave in the order the messages arrived, whatever order their batches commit in ([MQTT-4.6.0-2]).</summary>
public sealed class InOrderAcknowledgementTests
{
    /// <summary>Messages 1…count received in that order; each PUBACK sent adds its number to <paramref name="sent"/>.</summary>
    private static List<InOrderAcknowledgements.Received> Receive(InOrderAcknowledgements acks, List<int> sent, int count) =>
        [.. Enumerable.Range(1, count).Select(n => acks.Add(_ => { sent.Add(n); return Task.CompletedTask; }))];

    [Fact]
    public async Task Messages_done_out_of_order_are_acknowledged_in_the_order_they_arrived()
    {
        var acks = new InOrderAcknowledgements();
        var sent = new List<int>();
        var received = Receive(acks, sent, 6);

        // The second batch (4–6) commits first: nothing may go before 1–3.
        await acks.AcknowledgeAsync(received[4], default);
        await acks.AcknowledgeAsync(received[3], default);
        await acks.AcknowledgeAsync(received[5], default);
        Assert.Empty(sent);
        await acks.AcknowledgeAsync(received[1], default);
        Assert.Empty(sent);
        await acks.AcknowledgeAsync(received[0], default);
        Assert.Equal([1, 2], sent);
        await acks.AcknowledgeAsync(received[2], default);
        Assert.Equal([1, 2, 3, 4, 5, 6], sent);
        Assert.Equal(0, acks.Outstanding);
    }

    [Fact]
    public async Task A_message_left_for_redelivery_does_not_hold_back_the_ones_after_it()
    {
        var acks = new InOrderAcknowledgements();
        var sent = new List<int>();
        var received = Receive(acks, sent, 3);
        await acks.AcknowledgeAsync(received[2], default);
        await acks.AcknowledgeAsync(received[1], default);
        await acks.SkipAsync(received[0], default);
        Assert.Equal([2, 3], sent);
    }

    [Fact]
    public async Task After_a_reconnect_nothing_owed_on_the_old_connection_is_sent()
    {
        var acks = new InOrderAcknowledgements();
        var sent = new List<string>();
        var old = new[] { acks.Add(_ => { sent.Add("old 1"); return Task.CompletedTask; }), acks.Add(_ => { sent.Add("old 2"); return Task.CompletedTask; }) };
        acks.Reset();
        var fresh = acks.Add(_ => { sent.Add("new 1"); return Task.CompletedTask; });
        await acks.AcknowledgeAsync(old[1], default);
        await acks.AcknowledgeAsync(fresh, default);
        await acks.AcknowledgeAsync(old[0], default);
        Assert.Equal(["new 1"], sent);
    }

    [Fact]
    public async Task Thousands_finishing_at_once_on_many_tasks_go_out_once_each_in_order()
    {
        var acks = new InOrderAcknowledgements();
        var sent = new List<int>();
        var received = Enumerable.Range(0, 5000).Select(n => acks.Add(async _ => { await Task.Yield(); lock (sent) { sent.Add(n); } })).ToList();
        var shuffled = received.Select((r, i) => (r, i)).OrderBy(_ => Random.Shared.Next()).ToList();
        await Task.WhenAll(shuffled.Select(x => Task.Run(() => acks.AcknowledgeAsync(x.r, default))));
        Assert.Equal(Enumerable.Range(0, 5000), sent);
    }
}
