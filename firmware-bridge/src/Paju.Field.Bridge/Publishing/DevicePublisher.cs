using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Paju.Field.Bridge.Config;
using Paju.Field.Telemetry;

namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// One controller's MQTT session, as PROTOCOL.md describes a device: client id and username are the
/// device id, a retained birth on status and the same with online=false as Last Will, readings on
/// telemetry and health on state, QoS 1. Readings wait in order in a bounded queue while the broker
/// is away; a reading leaves the queue only after its PUBACK. When the queue is full the oldest is
/// dropped and counted (the on-disk queue of store-and-forward replaces this bound).
/// </summary>
public sealed class DevicePublisher(SlaveConfig slave, MqttSettings mqtt, int capacity, ILogger log) : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly Channel<(string Channel, TelemetryReading Reading)> _queue =
        Channel.CreateBounded<(string, TelemetryReading)>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });

    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private long _seq;
    private long _published;
    private long _dropped;

    public string Device => slave.Device;

    /// <summary>Boot epoch of this session's sequence numbers (PROTOCOL.md: the de-duplication key is boot + seq).</summary>
    public long Boot { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public bool Connected => _client.IsConnected;

    public int Queued => _queue.Reader.Count;

    public long Published => Interlocked.Read(ref _published);

    public long Dropped => Interlocked.Read(ref _dropped);

    public string? LastError { get; private set; }

    /// <summary>Queues a reading; never blocks the poller.</summary>
    public void Offer(string channel, DateTimeOffset ts, Dictionary<string, double> numbers, Dictionary<string, bool> flags)
    {
        var reading = new TelemetryReading(slave.Device, Boot, Interlocked.Increment(ref _seq) - 1, ts, false, numbers, flags);
        if (_queue.Reader.Count >= capacity)
        {
            Interlocked.Increment(ref _dropped);
            log.LogWarning("{Device}: queue full ({Capacity}); the oldest reading is dropped", slave.Device, capacity);
        }
        _queue.Writer.TryWrite((channel, reading));
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        // Taken from the queue before publishing and kept here until its PUBACK: with DropOldest a
        // full queue may drop its head at any time, so peeking and removing later could remove another.
        (string Channel, TelemetryReading Reading)? inFlight = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    await ConnectAsync(ct);
                    backoff = TimeSpan.FromSeconds(1);
                }
                if (inFlight is null)
                {
                    inFlight = await _queue.Reader.ReadAsync(ct);
                }
                var next = inFlight.Value;
                var result = await _client.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(TelemetryTopic.For(slave.Site, slave.Device, next.Channel))
                    .WithPayload(next.Reading.ToJson())
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
                if (!result.IsSuccess)
                {
                    // The server refused it (e.g. not authorised): it would be refused again; keep it out of the way.
                    log.LogError("{Device}: the broker refused a reading ({Reason}); dropped", slave.Device, result.ReasonCode);
                    Interlocked.Increment(ref _dropped);
                }
                else
                {
                    Interlocked.Increment(ref _published);
                }
                inFlight = null;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Whatever went wrong (broker away, secret file unreadable, a refused connection), this
                // device keeps its readings and tries again: a publisher that stops is a station gone dark.
                LastError = e.Message;
                log.LogWarning("{Device}: cannot publish to {Endpoint} ({Reason}); {Queued} readings kept; retrying in {Seconds} s",
                    slave.Device, mqtt.Endpoint, e.Message, Queued + (inFlight is null ? 0 : 1), backoff.TotalSeconds);
                await Task.Delay(backoff, ct).ContinueWith(_ => { }, CancellationToken.None);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var colon = mqtt.Endpoint.LastIndexOf(':');
        var status = TelemetryTopic.For(slave.Site, slave.Device, TelemetryTopic.Status);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(mqtt.Endpoint[..colon], int.Parse(mqtt.Endpoint[(colon + 1)..]))
            .WithClientId(slave.Device)
            .WithCredentials(slave.Device, slave.ReadSecret())
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithWillTopic(status).WithWillPayload(new DeviceStatus(slave.Device, false, Boot).ToJson())
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithWillRetain();
        if (mqtt.Tls)
        {
            options = options.WithTlsOptions(o => o.UseTls());
        }
        var result = await _client.ConnectAsync(options.Build(), ct);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"connection refused: {result.ResultCode} {result.ReasonString}");
        }
        await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(status)
            .WithPayload(new DeviceStatus(slave.Device, true, Boot).ToJson())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build(), ct);
        LastError = null;
        log.LogInformation("{Device}: connected to {Endpoint} as {Device} (boot {Boot})", slave.Device, mqtt.Endpoint, slave.Device, Boot);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                // A clean stop sends no Last Will: say offline ourselves.
                await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(TelemetryTopic.For(slave.Site, slave.Device, TelemetryTopic.Status))
                    .WithPayload(new DeviceStatus(slave.Device, false, Boot).ToJson())
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build());
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
