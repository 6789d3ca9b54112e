using System.Threading.Channels;
using Npgsql;
using Paju.Field.Server.Database;
using Paju.Field.Server.Devices;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Ingest;

/// <summary>A message as it arrived from a broker, before it is understood.</summary>
/// <param name="Username">The authenticated publisher, when the broker tells us (embedded mode); null behind mosquitto, whose ACL already checked it.</param>
/// <param name="Denied">The embedded broker's ACL refused the topic: store as a dead letter only.</param>
/// <param name="Sender">The device the embedded broker authenticated, carried along so it is not looked up again.</param>
public sealed record IncomingMessage(string Topic, ReadOnlyMemory<byte> Payload, DateTimeOffset ReceivedAt, string? ClientId, string? Username,
    bool Denied = false, Device? Sender = null);

public enum IngestOutcome
{
    Stored,
    Duplicate,
    DeadLettered,
}

/// <param name="Rejected">Known on arrival to be a dead letter (malformed, not allowed, unknown device).</param>
/// <param name="Committed">Completes when the message's batch committed.</param>
public sealed record Queued(bool Rejected, Task<IngestOutcome> Committed);

/// <summary>
/// The one way into the telemetry tables. Messages queue here and are written in batches, one
/// transaction each; a message's task completes only after its batch committed, and the brokers
/// acknowledge (PUBACK) only then. If the database is down the batch is retried until it is back,
/// with nothing acknowledged meanwhile, so devices keep their messages and nothing is lost.
/// </summary>
/// <param name="acknowledgements">How the broker in front acknowledges: it decides how the concurrent batches divide the work.</param>
public sealed class IngestPipeline(NpgsqlDataSource db, DeviceDirectory devices, IngestOptions options, Tags.CheckInVerifier verifier, TimeProvider clock,
    ILogger<IngestPipeline> log, AcknowledgementOrder acknowledgements = AcknowledgementOrder.PerDevice)
    : BackgroundService
{
    /// <param name="Early">What the message is, found before it queued; null when the device directory could not be read then.</param>
    private sealed record Pending(IncomingMessage Message, Classified? Early, TaskCompletionSource<IngestOutcome> Done);

    /// <summary>Messages queued at most, over all lanes; beyond it a publisher waits.</summary>
    private const int QueueCapacity = 20_000;

    private static int Concurrent(IngestOptions options) => Math.Max(1, options.ConcurrentBatches);

    private static int Lanes(IngestOptions options, AcknowledgementOrder acknowledgements) =>
        acknowledgements == AcknowledgementOrder.PerDevice ? Concurrent(options) : 1;

    // When each device is acknowledged on its own (the embedded broker), there is one lane per concurrent batch, each
    // batching and writing its own share of the devices, one batch after the other. Two batches written at once so
    // never hold rows the other needs: when any batch could carry any device, one batch waited on the other's locks
    // (a device's rows) until its commit, and writing two at once gained nothing. A device's messages also commit in the
    // order they arrived.
    // When one connection carries every device and is acknowledged in arrival order (a `paju ingest` worker behind
    // mosquitto), what a lane commits is still acknowledged only after the oldest message of every other lane, so lanes
    // would only hold acknowledgements back. There the batches are taken from one queue in arrival order and overlap.
    private readonly Channel<Pending>[] _lanes = NewLanes(Lanes(options, acknowledgements));

    /// <summary>The lanes, sharing the queue's bound between them.</summary>
    private static Channel<Pending>[] NewLanes(int count) => [.. Enumerable.Range(0, count)
        .Select(_ => Channel.CreateBounded<Pending>(new BoundedChannelOptions(QueueCapacity / count)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        }))];

    /// <summary>Batches of one lane written at once: the concurrent batches shared out over the lanes.</summary>
    private int BatchesPerLane => Concurrent(options) / _lanes.Length;

    private readonly TelemetryWriter _writer = new(db, options, verifier, log);

    /// <summary>latest_metric and the live feed's state events, following what the batches commit.</summary>
    public NewestValuesWriter Newest { get; } = new(db, options, log, clock);
    private long _stored, _duplicates, _deadLetters, _waiting;

    public long Stored => Interlocked.Read(ref _stored);
    public long Duplicates => Interlocked.Read(ref _duplicates);
    public long DeadLetters => Interlocked.Read(ref _deadLetters);

    /// <summary>Messages received and not yet committed: queued, in a batch being written, or held while the database is away.</summary>
    public long Waiting => Interlocked.Read(ref _waiting);

    /// <summary>Completes when the message is committed (stored, found a duplicate, or dead-lettered).</summary>
    public async Task<IngestOutcome> SubmitAsync(IncomingMessage message, CancellationToken ct) =>
        await (await EnqueueAsync(message, ct)).Committed.WaitAsync(ct);

    /// <summary>
    /// Understands the message and queues it for a batch; returns once it is queued, with the task its commit
    /// completes. A caller can so take the publisher's next message while this one is written. When the queue is
    /// full this waits, which holds the publisher back.
    /// </summary>
    public async Task<Queued> EnqueueAsync(IncomingMessage message, CancellationToken ct)
    {
        // Understood here, on the publisher's own task and in parallel with the others, so that a batch holds its
        // writer slot for the database alone.
        var early = await ClassifyEarlyAsync(message, ct);
        var pending = new Pending(message, early, new TaskCompletionSource<IngestOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _waiting);
        try
        {
            await _lanes[LaneOf(message, early)].Writer.WriteAsync(pending, ct);
        }
        catch
        {
            Interlocked.Decrement(ref _waiting);
            throw;
        }
        return new Queued(early is Classified.Rejected, pending.Done.Task);
    }

    /// <summary>
    /// A device's lane (0…N-1), by the same stable hash of its id that partitions sites between workers; the device is
    /// known from what the message was found to be, or else from its topic.
    /// </summary>
    public static int LaneOf(string? device, int lanes) => device is null ? 0 : SitePartition.Of(device, lanes) - 1;

    private int LaneOf(IncomingMessage message, Classified? early) =>
        LaneOf((early as Classified.FromDevice)?.Device.DeviceId ?? TelemetryTopic.TryParse(message.Topic, out _)?.Device, _lanes.Length);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await DropExpiredPartitionsAsync(stoppingToken);
        _ = ReportLoopAsync(stoppingToken);
        _ = RetentionLoopAsync(stoppingToken);
        var newest = Newest.RunAsync(stoppingToken);
        try
        {
            await Task.WhenAll(_lanes.Select(lane => RunLaneAsync(lane.Reader, stoppingToken)));
        }
        finally
        {
            await newest;
            await Newest.WriteRestAsync();
        }
    }

    private async Task RunLaneAsync(ChannelReader<Pending> reader, CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(BatchesPerLane);
        var writing = new List<Task>();
        try
        {
            await BatchLaneAsync(reader, slots, writing, stoppingToken);
        }
        finally
        {
            // The batches still being written end (committed, or cancelled and not acknowledged) before their slots go.
            await Task.WhenAll(writing);
        }
    }

    private async Task BatchLaneAsync(ChannelReader<Pending> reader, SemaphoreSlim slots, List<Task> writing, CancellationToken stoppingToken)
    {
        while (await reader.WaitToReadAsync(stoppingToken))
        {
            // Take what is there, then wait a moment for more: larger batches, fewer commits.
            var batch = new List<Pending>(options.BatchSize);
            using (var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                window.CancelAfter(options.BatchWindowMilliseconds);
                try
                {
                    while (batch.Count < options.BatchSize)
                    {
                        if (reader.TryRead(out var item))
                        {
                            batch.Add(item);
                        }
                        else if (!await reader.WaitToReadAsync(window.Token))
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
            // What arrived while the lane waited for a batch slot joins this batch rather than making a small one after it.
            await slots.WaitAsync(stoppingToken);
            while (batch.Count < options.BatchSize && reader.TryRead(out var more))
            {
                batch.Add(more);
            }
            writing.RemoveAll(w => w.IsCompleted);
            writing.Add(WriteAndReleaseAsync(batch, slots, stoppingToken));
        }
    }

    private async Task WriteAndReleaseAsync(List<Pending> batch, SemaphoreSlim slot, CancellationToken ct)
    {
        try
        {
            await WriteWithRetryAsync(batch, ct);
        }
        catch (OperationCanceledException)
        {
            foreach (var p in batch)
            {
                if (p.Done.TrySetCanceled(ct))
                {
                    Interlocked.Decrement(ref _waiting);
                }
            }
        }
        finally
        {
            slot.Release();
        }
    }

    /// <summary>
    /// Retries only what can succeed later (the database unreachable, restarting, overloaded, a deadlock):
    /// nothing is acknowledged meanwhile. A permanent refusal is narrowed down to its messages instead.
    /// </summary>
    private async Task WriteWithRetryAsync(List<Pending> batch, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // A message that could not be classified on arrival (the device directory needs the database too) is
                // classified now, and retried with the write.
                var classified = new List<Classified>(batch.Count);
                foreach (var p in batch)
                {
                    classified.Add(p.Early ?? await ClassifyOrRejectAsync(p.Message, ct));
                }
                await WriteOrSplitAsync(batch, classified, ct);
                return;
            }
            catch (Exception e) when (DatabaseErrors.IsTransient(e) && !ct.IsCancellationRequested)
            {
                var delay = DatabaseErrors.RetryDelay(attempt);
                log.LogWarning("Could not store a batch of {Count} messages (attempt {Attempt}): {Reason}. Nothing is acknowledged; retrying in {Delay} ms",
                    batch.Count, attempt, e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, ct);
            }
        }
    }

    /// <summary>
    /// Writes a batch in one transaction. When PostgreSQL refuses it for good, the batch is halved and each
    /// half written alone, down to the single messages it refuses, which become dead letters with the
    /// database's reason; the rest of the batch is stored and acknowledged.
    /// </summary>
    private async Task WriteOrSplitAsync(List<Pending> batch, List<Classified> classified, CancellationToken ct)
    {
        IngestOutcome[] outcomes;
        try
        {
            outcomes = await _writer.WriteAsync(classified, ct);
        }
        catch (Exception e) when (!DatabaseErrors.IsTransient(e) && e is not OperationCanceledException)
        {
            if (batch.Count > 1)
            {
                var half = batch.Count / 2;
                await WriteOrSplitAsync(batch[..half], classified[..half], ct);
                await WriteOrSplitAsync(batch[half..], classified[half..], ct);
                return;
            }
            var reason = $"PostgreSQL refused it: {DatabaseErrors.Describe(e)}";
            log.LogWarning("A message on {Topic} was refused by the database and kept as a dead letter: {Reason}", batch[0].Message.Topic, reason);
            outcomes = await WriteRefusedAsync(classified[0].Message, reason, ct);
        }
        // Before any PUBACK: whoever saw a message acknowledged and waits for Newest.WrittenAsync() waits for its values too.
        // A reading found stored already goes along: its values may be what a crash left unwritten.
        Newest.Follow(classified.Select((c, i) => (c, i))
            .Where(x => x.c is Classified.Reading && outcomes[x.i] is IngestOutcome.Stored or IngestOutcome.Duplicate)
            .Select(x => (Classified.Reading)x.c));
        for (var i = 0; i < batch.Count; i++)
        {
            Count(outcomes[i]);
            if (batch[i].Done.TrySetResult(outcomes[i]))
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
    }

    /// <summary>
    /// A refused message as a dead letter. Should even that be refused (the dead-letter table itself
    /// changed), the message goes to the log whole, so it is still kept, and is not retried.
    /// </summary>
    private async Task<IngestOutcome[]> WriteRefusedAsync(IncomingMessage message, string reason, CancellationToken ct)
    {
        try
        {
            return await _writer.WriteAsync([new Classified.Rejected(message, RejectReason.DatabaseRefused, reason)], ct);
        }
        catch (Exception e) when (!DatabaseErrors.IsTransient(e) && e is not OperationCanceledException)
        {
            log.LogError("A message could not be stored even as a dead letter ({Failure}). Kept here: topic {Topic}, received {ReceivedAt:O}, reason {Reason}, payload (base64) {Payload}",
                DatabaseErrors.Describe(e), message.Topic, message.ReceivedAt, reason, Convert.ToBase64String(message.Payload.Span));
            return [IngestOutcome.DeadLettered];
        }
    }

    /// <summary>Classifies a message on arrival, or leaves it for its batch when the database is away.</summary>
    private async Task<Classified?> ClassifyEarlyAsync(IncomingMessage m, CancellationToken ct)
    {
        try
        {
            return await ClassifyOrRejectAsync(m, ct);
        }
        catch (Exception e) when (DatabaseErrors.IsTransient(e) && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Classifies a message; a failure that is not the database being away rejects this one message, not the batch.</summary>
    private async Task<Classified> ClassifyOrRejectAsync(IncomingMessage m, CancellationToken ct)
    {
        try
        {
            return await ClassifyAsync(m, ct);
        }
        catch (Exception e) when (!DatabaseErrors.IsTransient(e) && e is not OperationCanceledException)
        {
            log.LogError(e, "Could not classify a message on {Topic}; it is kept as a dead letter", m.Topic);
            return new Classified.Rejected(m, RejectReason.MalformedJson, $"the server could not read this message: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task DropExpiredPartitionsAsync(CancellationToken ct)
    {
        try
        {
            await _writer.DropExpiredPartitionsAsync(log, ct);
        }
        catch (NpgsqlException e)
        {
            log.LogWarning("Could not apply telemetry retention now: {Reason}", e.Message);
        }
    }

    private async Task RetentionLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(6));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await DropExpiredPartitionsAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Every few seconds, when anything changed: what was stored, so an operator tailing the log sees ingest alive.</summary>
    private async Task ReportLoopAsync(CancellationToken ct)
    {
        var reported = (0L, 0L, 0L);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = (Stored, Duplicates, DeadLetters);
                if (now != reported)
                {
                    log.LogInformation("Ingest: {Stored} stored, {Duplicates} duplicates ignored, {DeadLetters} dead letters so far", now.Item1, now.Item2, now.Item3);
                    reported = now;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        log.LogInformation("Ingest stopped: {Stored} stored, {Duplicates} duplicates ignored, {DeadLetters} dead letters", Stored, Duplicates, DeadLetters);
    }

    private void Count(IngestOutcome outcome)
    {
        switch (outcome)
        {
            case IngestOutcome.Stored: Interlocked.Increment(ref _stored); break;
            case IngestOutcome.Duplicate: Interlocked.Increment(ref _duplicates); break;
            default: Interlocked.Increment(ref _deadLetters); break;
        }
    }

    /// <summary>Understands a message: a reading, a status, a check-in, or a dead letter with its reason.</summary>
    private async Task<Classified> ClassifyAsync(IncomingMessage m, CancellationToken ct)
    {
        Classified Dead(RejectReason code, string reason) => new Classified.Rejected(m, code, reason);

        if (m.Payload.Length > options.MaxPayloadBytes)
        {
            return Dead(RejectReason.PayloadTooLarge, $"payload of {m.Payload.Length:N0} bytes is over the {options.MaxPayloadBytes:N0}-byte limit");
        }
        var topic = TelemetryTopic.TryParse(m.Topic, out var topicProblem);
        if (topic is null)
        {
            return Dead(RejectReason.BadTopic, topicProblem!);
        }
        if (m.Denied)
        {
            return Dead(RejectReason.TopicNotAllowed, $"'{m.Username}' may not publish to {m.Topic}: a device publishes only under its own site and id");
        }
        var device = m.Sender is { } sender && sender.DeviceId == topic.Device ? sender : await devices.FindAsync(topic.Device, ct);
        if (device is null || device.Role != DeviceStore.DeviceRole)
        {
            return Dead(RejectReason.UnknownDevice, $"no device '{topic.Device}' is registered (paju device add)");
        }
        if (device.Site != topic.Site)
        {
            return Dead(RejectReason.TopicNotAllowed, $"device '{topic.Device}' belongs to site '{device.Site}', not '{topic.Site}'");
        }

        switch (topic.Channel)
        {
            case TelemetryTopic.Status:
            {
                var (status, code, reason) = DeviceStatus.Parse(m.Payload.Span, topic.Device);
                return status is null ? Dead(code!.Value, reason!) : new Classified.Status(m, device, status);
            }
            case TelemetryTopic.Checkin:
            {
                var (checkIn, code, reason) = CheckIn.Parse(m.Payload.Span, topic.Device);
                if (checkIn is null)
                {
                    return Dead(code!.Value, reason!);
                }
                return OutOfBounds(checkIn.Timestamp) is { } late ? Dead(RejectReason.TimestampOutOfBounds, late) : new Classified.CheckIn(m, device, checkIn);
            }
            default:
            {
                var (reading, code, reason) = TelemetryReading.Parse(m.Payload.Span, topic.Device);
                if (reading is null)
                {
                    return Dead(code!.Value, reason!);
                }
                return OutOfBounds(reading.Timestamp) is { } late ? Dead(RejectReason.TimestampOutOfBounds, late) : new Classified.Reading(m, device, reading);
            }
        }
    }

    /// <summary>Why a device time cannot be trusted, or null: too far ahead of the server's clock, or older than a replay may be.</summary>
    private string? OutOfBounds(DateTimeOffset ts)
    {
        var now = clock.GetUtcNow();
        if (ts > now.AddSeconds(options.MaxFutureSkewSeconds))
        {
            return $"ts {ts:O} is more than {options.MaxFutureSkewSeconds} s ahead of the server's clock ({now:O}): the device clock needs setting";
        }
        return ts < now.AddDays(-options.MaxAgeDays) ? $"ts {ts:O} is more than {options.MaxAgeDays} days old; replayed data must be newer" : null;
    }
}
