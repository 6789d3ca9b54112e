namespace Paju.Field.Server.Ingest;

/// <summary>
/// Sends PUBACKs in the order the PUBLISH packets arrived, as MQTT requires of a receiver ([MQTT-4.6.0-2]), whatever
/// order their batches commit in (two batches commit side by side, and a batch's messages finish on many tasks).
/// The order is kept for the protocol's sake: measured against mosquitto, a backlog of 18,000 drains as quickly with
/// PUBACKs in any order (the slow drain once put down to their order was the worker's socket buffers, see
/// BrokerSubscriptionIngest).
/// </summary>
public sealed class InOrderAcknowledgements
{
    /// <summary>One received message: acknowledged when it and everything received before it are done.</summary>
    public sealed class Received(Func<CancellationToken, Task> acknowledge)
    {
        internal Func<CancellationToken, Task> Acknowledge { get; } = acknowledge;

        internal volatile int State;   // Pending, Acknowledge or Skip
    }

    private const int Pending = 0, Acknowledge = 1, Skip = 2;

    private readonly Queue<Received> _order = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _sending = new(1, 1);

    /// <summary>Messages received and not yet acknowledged or skipped.</summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _order.Count;
            }
        }
    }

    /// <summary>Called in the order messages arrive (the client's receive handler, before anything else runs).</summary>
    public Received Add(Func<CancellationToken, Task> acknowledge)
    {
        var received = new Received(acknowledge);
        lock (_lock)
        {
            _order.Enqueue(received);
        }
        return received;
    }

    /// <summary>The message is stored: its PUBACK goes once every message before it is done.</summary>
    public Task AcknowledgeAsync(Received received, CancellationToken ct) => FinishAsync(received, Acknowledge, ct);

    /// <summary>
    /// The message will not be acknowledged on this connection (the worker stops, or the connection broke): the broker
    /// redelivers it to the session. It must not hold back the PUBACKs of the messages after it meanwhile.
    /// </summary>
    public Task SkipAsync(Received received, CancellationToken ct) => FinishAsync(received, Skip, ct);

    /// <summary>
    /// A new connection: PUBACKs owed on the old one are void (its packet identifiers died with it), and the broker
    /// sends again whatever was not acknowledged.
    /// </summary>
    public void Reset()
    {
        lock (_lock)
        {
            _order.Clear();
        }
    }

    private async Task FinishAsync(Received received, int state, CancellationToken ct)
    {
        received.State = state;
        // One sender at a time, from the head of the line: whoever finishes the head sends every PUBACK that is ready.
        await _sending.WaitAsync(ct);
        try
        {
            while (true)
            {
                Received head;
                lock (_lock)
                {
                    if (!_order.TryPeek(out head!) || head.State == Pending)
                    {
                        return;
                    }
                    _order.Dequeue();
                }
                if (head.State == Acknowledge)
                {
                    await head.Acknowledge(ct);
                }
            }
        }
        finally
        {
            _sending.Release();
        }
    }
}
