using System.Buffers;
using MQTTnet;
using MQTTnet.Formatter;
using Paju.Field.Server.Devices;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// External mode (`paju ingest`): a worker on an external broker (mosquitto, EMQX) — one of several
/// on a shared subscription, the one on a plain subscription, or one of N each subscribed to its own
/// sites (see MqttOptions.Subscription). The session is persistent (clean start off, long expiry) so
/// the broker keeps what arrives while a worker is down; messages are acknowledged by hand, after
/// their batch committed and in the order they arrived (InOrderAcknowledgements), so a worker killed
/// mid-batch gets them redelivered (and the key drops the copies). The client's receive maximum
/// lets a whole batch be in flight.
/// </summary>
public sealed class BrokerSubscriptionIngest(MqttOptions options, IngestOptions ingest, IngestPipeline pipeline, DeviceDirectory devices,
    TimeProvider clock, ILogger<BrokerSubscriptionIngest> log, string clientId) : BackgroundService
{
    private static readonly TimeSpan SessionExpiry = TimeSpan.FromDays(7);

    /// <summary>How often a partitioned worker looks for sites registered since it started.</summary>
    private static readonly TimeSpan SiteRescan = TimeSpan.FromSeconds(10);

    /// <summary>The socket's receive (and send) buffer: the receive maximum's worth of messages of a few hundred bytes, and room to spare.</summary>
    private const int SocketBufferBytes = 1024 * 1024;

    private readonly HashSet<string> _subscribed = new(StringComparer.Ordinal);
    private readonly InOrderAcknowledgements _acknowledgements = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (host, port) = options.HostAndPort();
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            // Taken now, in arrival order; acknowledged after commit, in that order; returning at once lets the next message in.
            e.AutoAcknowledge = false;
            _ = HandleAsync(e, _acknowledgements.Add(e.AcknowledgeAsync), stoppingToken);
            return Task.CompletedTask;
        };
        var clientOptions = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId)
            .WithCredentials(options.Username, options.Password)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)SessionExpiry.TotalSeconds)
            .WithReceiveMaximum((ushort)Math.Clamp(ingest.BatchSize * 2, 20, 65535))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .Build();
        // MQTTnet fixes the socket's buffers at 8 KiB unless told otherwise, which also turns off the kernel's tuning of
        // them. The whole stream of every site this worker reads comes in on this one socket: a window of a few
        // kilobytes closed under a backlog, and the broker, probing it every 200 ms, fed the worker about 80 messages a
        // second while its CPU sat idle. A window's worth of messages fits in this.
        ((MqttClientTcpOptions)clientOptions.ChannelOptions).BufferSize = SocketBufferBytes;
        var partitioned = options.Subscription == "partitioned";
        var filter = options.TopicFilter;
        var lastScan = DateTime.MinValue;

        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!client.IsConnected)
                {
                    _acknowledgements.Reset();
                    var result = await client.ConnectAsync(clientOptions, stoppingToken);
                    if (result.ResultCode != MqttClientConnectResultCode.Success)
                    {
                        throw new InvalidOperationException($"broker refused the connection: {result.ResultCode} {result.ReasonString}");
                    }
                    if (partitioned)
                    {
                        _subscribed.Clear();   // a new connection: say every subscription again (the broker may have lost them)
                        await SubscribeToOwnSitesAsync(client, host, port, result.IsSessionPresent, stoppingToken);
                        lastScan = DateTime.UtcNow;
                    }
                    else
                    {
                        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                            .WithTopicFilter(f => f.WithTopic(filter).WithAtLeastOnceQoS()).Build(), stoppingToken);
                        log.LogInformation("Ingest worker {ClientId} reading {Filter} on {Host}:{Port} (session {Session})",
                            clientId, filter, host, port, result.IsSessionPresent ? "resumed" : "new");
                    }
                    attempt = 0;
                }
                else if (partitioned && DateTime.UtcNow - lastScan > SiteRescan)
                {
                    await SubscribeToOwnSitesAsync(client, host, port, sessionPresent: true, stoppingToken);
                    lastScan = DateTime.UtcNow;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException or IOException
                                      || (e is Npgsql.NpgsqlException && Database.DatabaseErrors.IsTransient(e)))
            {
                attempt++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(10_000, 500 * attempt));
                log.LogWarning("Ingest worker {ClientId} cannot reach the broker at {Host}:{Port}: {Reason}; retrying in {Delay} ms",
                    clientId, host, port, e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken);
            }
        }
        if (client.IsConnected)
        {
            await client.DisconnectAsync();
        }
    }

    /// <summary>One plain persistent subscription per site this worker owns, for sites not yet subscribed on this connection.</summary>
    private async Task SubscribeToOwnSitesAsync(IMqttClient client, string host, int port, bool sessionPresent, CancellationToken ct)
    {
        var sites = options.Sites.Length > 0 ? options.Sites.ToHashSet(StringComparer.Ordinal) : await devices.SitesAsync(ct);
        var fresh = sites.Where(options.Owns).Where(s => !_subscribed.Contains(s)).Order(StringComparer.Ordinal).ToList();
        if (fresh.Count == 0)
        {
            if (_subscribed.Count == 0)
            {
                log.LogInformation("Ingest worker {ClientId} reading no site yet: partition {Partition} holds none of the {Count} registered; looking again every {Seconds} s",
                    clientId, options.Partition ?? "declared", sites.Count, SiteRescan.TotalSeconds);
            }
            return;
        }
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var site in fresh)
        {
            subscribe.WithTopicFilter(f => f.WithTopic(TelemetryTopic.SiteFilter(site)).WithAtLeastOnceQoS());
        }
        await client.SubscribeAsync(subscribe.Build(), ct);
        _subscribed.UnionWith(fresh);
        log.LogInformation("Ingest worker {ClientId} reading {Count} more site(s) of partition {Partition} on {Host}:{Port} (session {Session}): {Sites}",
            clientId, fresh.Count, options.Partition ?? "declared", host, port, sessionPresent ? "resumed" : "new", string.Join(", ", fresh));
    }

    private async Task HandleAsync(MqttApplicationMessageReceivedEventArgs e, InOrderAcknowledgements.Received received, CancellationToken ct)
    {
        try
        {
            var message = e.ApplicationMessage;
            await pipeline.SubmitAsync(new IncomingMessage(message.Topic, message.Payload.ToArray(), clock.GetUtcNow(), null, null), ct);
            await _acknowledgements.AcknowledgeAsync(received, ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException)
        {
            // Not acknowledged: the broker redelivers it to this session (after a reconnect) or to another worker.
            log.LogWarning("Message on {Topic} left unacknowledged: {Reason}", e.ApplicationMessage.Topic, ex.Message);
            try
            {
                await _acknowledgements.SkipAsync(received, CancellationToken.None);
            }
            catch (Exception next) when (next is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException)
            {
                // The connection is gone: the PUBACKs after this one are owed to a dead connection too.
            }
        }
    }
}
