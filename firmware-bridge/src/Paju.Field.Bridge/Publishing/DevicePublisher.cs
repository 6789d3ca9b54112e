using System.Text;
using System.Text.Json;
using MQTTnet;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Queue;
using Paju.Field.Telemetry;

namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// One device's readings to one uplink, through its on-disk queue. Every reading is appended first;
/// the MQTT session sends from the queue and a record is removed only after its PUBACK.
/// <para>
/// At each (re)connect the queue is split at its end: records from before it are the backlog,
/// replayed oldest first, flagged <c>historical</c>, paced by <see cref="ReplayPacer"/>; records
/// appended after it are live and go first. One message is in flight at a time, so each device's
/// order is kept on each path.
/// </para>
/// </summary>
public sealed class DevicePublisher : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly string _device;
    private readonly IUplink _uplink;
    private readonly DiskQueue _queue;
    private readonly ReplayPacer _pacer;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private long _published;
    private long _replayed;
    private long _refused;
    private long _unqueued;

    public DevicePublisher(string device, IUplink uplink, DiskQueue queue, QueueSettings settings, ILogger log, TimeProvider? time = null)
    {
        _device = device;
        _uplink = uplink;
        _queue = queue;
        _time = time ?? TimeProvider.System;
        _pacer = new ReplayPacer(settings.ReplayPerSecond, _time);
        _log = log;
    }

    public string Device => _device;

    public IUplink Uplink => _uplink;

    public DiskQueue Queue => _queue;

    public bool Connected => _client.IsConnected;

    public long Published => Interlocked.Read(ref _published);

    /// <summary>Of <see cref="Published"/>, those sent from the backlog as historical.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>Readings the uplink refused or can never take (too large): kept in rejected.jsonl for review.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Readings that could not be written to the queue at all (disk full or gone).</summary>
    public long Unqueued => Interlocked.Read(ref _unqueued);

    /// <summary>True while backlog from before the last connect is still being replayed.</summary>
    public bool Replaying { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Appends a reading to the queue; never blocks on the network, never throws at the poller.</summary>
    public void Enqueue(byte[] record)
    {
        try
        {
            _queue.Append(record);
        }
        catch (ObjectDisposedException)
        {
            // The bridge is stopping and its queues are closed: the poller's last reading has nowhere to go.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _unqueued);
            _log.LogError("{Device} → {Uplink}: cannot write to the queue {Directory} ({Reason}); this reading is lost",
                _device, _uplink.Name, _queue.Directory, e.Message);
        }
    }

    /// <summary>A queue record: the channel, a newline, the reading's JSON as first made.</summary>
    public static byte[] Record(string channel, TelemetryReading reading) => Encoding.UTF8.GetBytes(channel + "\n" + reading.ToJson());

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        DiskQueue.Cursor? backlog = null, live = null;
        long boundary = 0;
        // Taken from the queue and kept here until its PUBACK; after a lost connection it is sent again first.
        (QueuedRecord Record, bool Historical)? inFlight = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var renewal = _client.IsConnected && inFlight is null && _uplink.RenewAt <= _time.GetUtcNow();
                if (!_client.IsConnected || renewal)
                {
                    await ConnectAsync(ct);
                    backoff = TimeSpan.FromSeconds(1);
                    // A renewal is our own clean reconnect with nothing in flight: the readings made
                    // meanwhile are late by milliseconds, not an outage's backlog. Keep the cursors.
                    if (!renewal || live is null)
                    {
                        (backlog, live, boundary) = _queue.Mark();
                        _pacer.Reset();
                        Replaying = true;
                    }
                }
                var appended = _queue.AppendSignal;
                if (inFlight is null)
                {
                    if (_queue.TryRead(live!, long.MaxValue, out var fresh))
                    {
                        inFlight = (fresh, false);
                    }
                    else if (Replaying)
                    {
                        var wait = _pacer.Wait();
                        if (wait > TimeSpan.Zero)
                        {
                            await WaitAsync(appended, wait, ct);
                            continue;
                        }
                        if (_queue.TryRead(backlog!, boundary, out var old))
                        {
                            _pacer.Take();
                            inFlight = (old, true);
                        }
                        else
                        {
                            Replaying = false;
                            if (Replayed > 0)
                            {
                                _log.LogInformation("{Device} → {Uplink}: backlog replayed", _device, _uplink.Name);
                            }
                        }
                    }
                }
                if (inFlight is null)
                {
                    await WaitAsync(appended, UntilRenewal(), ct);
                    continue;
                }
                await SendAsync(inFlight.Value.Record, inFlight.Value.Historical, ct);
                inFlight = null;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Whatever went wrong (broker away, secret file unreadable, a refused connection), the
                // readings stay queued and this device tries again: a publisher that stops is a station gone dark.
                LastError = e.Message;
                _log.LogWarning("{Device} → {Uplink}: cannot publish to {Endpoint} ({Reason}); {Pending} readings kept on disk; retrying in {Seconds} s",
                    _device, _uplink.Name, _uplink.Endpoint, e.Message, _queue.State().Pending, backoff.TotalSeconds);
                await Task.Delay(backoff, _time, ct).ContinueWith(_ => { }, CancellationToken.None);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    private async Task SendAsync(QueuedRecord record, bool historical, CancellationToken ct)
    {
        var newline = Array.IndexOf(record.Payload, (byte)'\n');
        var channel = Encoding.UTF8.GetString(record.Payload, 0, newline);
        var json = record.Payload[(newline + 1)..];
        if (historical)
        {
            json = channel == TelemetryTopic.Checkin ? MarkCheckInHistorical(json) : MarkHistorical(json);
        }
        var (message, refusal) = _uplink.Reading(channel, json);
        if (message is not null)
        {
            var result = await _client.PublishAsync(message, ct);
            if (result.IsSuccess)
            {
                Interlocked.Increment(ref _published);
                if (historical)
                {
                    Interlocked.Increment(ref _replayed);
                }
                _queue.Acknowledge(record.Lsn);
                return;
            }
            // Refused by the server (not authorised, quota): it would be refused again.
            refusal = $"the server refused it: {result.ReasonCode} {result.ReasonString}";
        }
        Reject(record, channel, json, refusal!);
        _queue.Acknowledge(record.Lsn);
    }

    /// <summary>The same reading (same boot and seq: stored once) with historical set, so it never overwrites live state.</summary>
    private byte[] MarkHistorical(byte[] json)
    {
        var (reading, _, reason) = TelemetryReading.Parse(json, _device);
        if (reading is null)
        {
            // Written by this bridge and checked by CRC: only a changed contract gets here. Send it as it is.
            _log.LogError("{Device}: a queued reading does not parse ({Reason}); sent unflagged", _device, reason);
            return json;
        }
        return Encoding.UTF8.GetBytes((reading with { Historical = true }).ToJson());
    }

    /// <summary>A replayed check-in, flagged as such (same boot and seq: still stored once).</summary>
    private byte[] MarkCheckInHistorical(byte[] json)
    {
        var (checkIn, _, reason) = CheckIn.Parse(json, _device);
        if (checkIn is null)
        {
            _log.LogError("{Device}: a queued check-in does not parse ({Reason}); sent unflagged", _device, reason);
            return json;
        }
        return Encoding.UTF8.GetBytes((checkIn with { Historical = true }).ToJson());
    }

    private void Reject(QueuedRecord record, string channel, byte[] json, string reason)
    {
        Interlocked.Increment(ref _refused);
        var file = Path.Combine(_queue.Directory, "rejected.jsonl");
        _log.LogError("{Device} → {Uplink}: reading LSN {Lsn} cannot be sent ({Reason}); kept in {File}", _device, _uplink.Name, record.Lsn, reason, file);
        try
        {
            File.AppendAllText(file, JsonSerializer.Serialize(new
            {
                rejectedAt = _time.GetUtcNow(),
                device = _device,
                uplink = _uplink.Name,
                lsn = record.Lsn,
                channel,
                reason,
                reading = Encoding.UTF8.GetString(json),
            }) + "\n");
        }
        catch (IOException e)
        {
            _log.LogError("{Device}: cannot write {File} ({Reason})", _device, file, e.Message);
        }
    }

    private TimeSpan UntilRenewal()
    {
        if (_uplink.RenewAt is not { } at)
        {
            return Timeout.InfiniteTimeSpan;
        }
        var left = at - _time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task WaitAsync(Task appended, TimeSpan timeout, CancellationToken ct)
    {
        if (timeout == TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await appended.WaitAsync(timeout, _time, ct);
        }
        catch (TimeoutException)
        {
        }
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        if (_client.IsConnected)
        {
            // Renewal: a clean disconnect, then the same session with a fresh token.
            await _client.DisconnectAsync(cancellationToken: ct);
        }
        var result = await _client.ConnectAsync(_uplink.ConnectOptions(_time.GetUtcNow()), ct);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"connection refused: {result.ResultCode} {result.ReasonString}");
        }
        if (_uplink.Birth() is { } birth)
        {
            await _client.PublishAsync(birth, ct);
        }
        LastError = null;
        var pending = _queue.State().Pending;
        _log.LogInformation("{Device} → {Uplink}: connected to {Endpoint}{Backlog}", _device, _uplink.Name, _uplink.Endpoint,
            pending > 0 ? $"; replaying {pending:N0} queued readings as historical" : "");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                // A clean stop sends no Last Will: say offline ourselves.
                if (_uplink.Goodbye() is { } goodbye)
                {
                    await _client.PublishAsync(goodbye);
                }
                await _client.DisconnectAsync();
            }
            catch (Exception)
            {
                // Going away anyway; the broker publishes the Last Will when the connection drops.
            }
        }
        _client.Dispose();
    }
}
