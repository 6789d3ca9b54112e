using System.Buffers;
using MQTTnet;
using MQTTnet.Formatter;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// External mode (`paju ingest`): one of several workers on an MQTT 5 shared subscription of an
/// external broker (mosquitto, EMQX), or the one worker on a plain subscription (see MqttOptions.Subscription). The session is persistent (clean start off, long expiry) so
/// the broker keeps what arrives while a worker is down; messages are acknowledged by hand, after
/// their batch committed, so a worker killed mid-batch gets them redelivered (and the key drops
/// the copies). The client's receive maximum lets a whole batch be in flight.
/// </summary>
public sealed class BrokerSubscriptionIngest(MqttOptions options, IngestOptions ingest, IngestPipeline pipeline, TimeProvider clock,
    ILogger<BrokerSubscriptionIngest> log, string clientId) : BackgroundService
{
    private static readonly TimeSpan SessionExpiry = TimeSpan.FromDays(7);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (host, port) = options.HostAndPort();
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            // Taken now, acknowledged after commit; returning at once lets the next message in.
            e.AutoAcknowledge = false;
            _ = HandleAsync(e, stoppingToken);
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
        var filter = options.TopicFilter;

        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!client.IsConnected)
                {
                    var result = await client.ConnectAsync(clientOptions, stoppingToken);
                    if (result.ResultCode != MqttClientConnectResultCode.Success)
                    {
                        throw new InvalidOperationException($"broker refused the connection: {result.ResultCode} {result.ReasonString}");
                    }
                    await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                        .WithTopicFilter(f => f.WithTopic(filter).WithAtLeastOnceQoS()).Build(), stoppingToken);
                    log.LogInformation("Ingest worker {ClientId} reading {Filter} on {Host}:{Port} (session {Session})",
                        clientId, filter, host, port, result.IsSessionPresent ? "resumed" : "new");
                    attempt = 0;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException or IOException)
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

    private async Task HandleAsync(MqttApplicationMessageReceivedEventArgs e, CancellationToken ct)
    {
        try
        {
            var message = e.ApplicationMessage;
            await pipeline.SubmitAsync(new IncomingMessage(message.Topic, message.Payload.ToArray(), clock.GetUtcNow(), null, null), ct);
            await e.AcknowledgeAsync(ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException)
        {
            // Not acknowledged: the broker redelivers it to this session (after a reconnect) or to another worker.
            log.LogWarning("Message on {Topic} left unacknowledged: {Reason}", e.ApplicationMessage.Topic, ex.Message);
        }
    }
}
