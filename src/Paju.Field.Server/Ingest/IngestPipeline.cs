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
public sealed class IngestPipeline(NpgsqlDataSource db, DeviceDirectory devices, IngestOptions options, Tags.CheckInVerifier verifier, TimeProvider clock,
    ILogger<IngestPipeline> log)
    : BackgroundService
{
    /// <param name="Early">What the message is, found before it queued; null when the device directory could not be read then.</param>
    private sealed record Pending(IncomingMessage Message, Classified? Early, TaskCompletionSource<IngestOutcome> Done);

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(20_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly TelemetryWriter _writer = new(db, options, verifier);
    private readonly SemaphoreSlim _writers = new(Math.Max(1, options.ConcurrentBatches));
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
            await _queue.Writer.WriteAsync(pending, ct);
        }
        catch
        {
            Interlocked.Decrement(ref _waiting);
            throw;
        }
        return new Queued(early is Classified.Rejected, pending.Done.Task);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(options.BatchSize);
        var reader = _queue.Reader;
        await DropExpiredPartitionsAsync(stoppingToken);
        var lastRetention = DateTime.UtcNow;
        _ = ReportLoopAsync(stoppingToken);
        while (await reader.WaitToReadAsync(stoppingToken))
        {
            // Take what is there, then wait a moment for more: larger batches, fewer commits.
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
            // Commits overlap: while one batch waits on PostgreSQL the next is gathered and written.
            await _writers.WaitAsync(stoppingToken);
            var taken = batch;
            batch = new List<Pending>(options.BatchSize);
            _ = WriteAndReleaseAsync(taken, stoppingToken);
            if (DateTime.UtcNow - lastRetention > TimeSpan.FromHours(6))
            {
                await DropExpiredPartitionsAsync(stoppingToken);
                lastRetention = DateTime.UtcNow;
            }
        }
    }

    private async Task WriteAndReleaseAsync(List<Pending> batch, CancellationToken ct)
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
            _writers.Release();
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
                var delay = TimeSpan.FromMilliseconds(Math.Min(5000, 250 * attempt));
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
