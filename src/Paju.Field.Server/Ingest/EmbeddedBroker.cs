using System.Buffers;
using System.Net;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Devices;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// The embedded default: an MQTTnet 5 broker inside the server with the same credentials and ACL
/// as the mosquitto files. MQTTnet has no shared subscriptions, so ingest runs right here: each
/// publish is handed to the pipeline and its PUBACK goes out only after its batch committed, while the
/// device's next publishes are already read (see HeldAcknowledgements).
/// Devices connect with client id = username = device id, may publish only under
/// paju/v1/{their site}/{their id}/… and may not subscribe; ingest accounts may subscribe.
/// </summary>
public sealed class EmbeddedBroker(MqttOptions options, DeviceDirectory devices, IngestPipeline pipeline, SignInThrottle throttle, TimeProvider clock,
    ILogger<EmbeddedBroker> log)
    : IHostedService, IDisposable
{
    private const string DeviceKey = "paju.device";
    private const string AcknowledgementsKey = "paju.acknowledgements";
    private MqttServer? _server;

    public int Port { get; private set; }

    public bool IsRunning => _server?.IsStarted == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (host, port) = options.HostAndPort();
        var serverOptions = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Parse(host == "localhost" ? "127.0.0.1" : host))
            .WithDefaultEndpointPort(port)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        _server.ValidatingConnectionAsync += ValidateAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.InterceptingInboundPacketAsync += NoteArrivingPublishAsync;
        _server.InterceptingOutboundPacketAsync += HoldAcknowledgementAsync;
        try
        {
            await _server.StartAsync();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new PajuSetupException(
                $"Cannot listen for MQTT on {host}:{port}: {e.Message}. Is another broker (a mosquitto service?) using it? " +
                "Choose another port with --mqtt HOST:PORT, or set Paju__Mqtt__Embedded=false to use that broker.", e);
        }
        Port = port;
        log.LogInformation("Embedded MQTT broker listening on {Host}:{Port}", host, port);
    }

    private async Task ValidateAsync(ValidatingConnectionEventArgs e)
    {
        // Guessing a device's secret is slowed down and then locked out, per device id, like a person's password.
        var verdict = string.IsNullOrEmpty(e.UserName) ? ThrottleVerdict.Yes : await CheckThrottleAsync(e.UserName);
        if (verdict is not ThrottleVerdict.Allowed)
        {
            e.ReasonCode = verdict is ThrottleVerdict.Locked ? MqttConnectReasonCode.Banned : MqttConnectReasonCode.ConnectionRateExceeded;
            e.ReasonString = verdict.Korean;
            log.LogWarning("MQTT connection refused from {Endpoint}: user '{User}' — too many wrong secrets lately: {Verdict}", e.RemoteEndPoint, e.UserName, verdict.Korean);
            return;
        }
        var device = string.IsNullOrEmpty(e.UserName) ? null : await devices.AuthenticateAsync(e.UserName, e.Password ?? "", CancellationToken.None);
        if (device is null && !string.IsNullOrEmpty(e.UserName))
        {
            await CountFailureAsync(e.UserName);
        }
        if (device is null)
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            log.LogWarning("MQTT connection refused from {Endpoint}: client '{ClientId}', user '{User}' — unknown, disabled or wrong password",
                e.RemoteEndPoint, e.ClientId, e.UserName ?? "(anonymous)");
            return;
        }
        if (device.Role == DeviceStore.DeviceRole && e.ClientId != device.DeviceId)
        {
            // One session per device: another client id under the same credentials could take over its session.
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            log.LogWarning("MQTT connection refused: device '{Device}' must connect with client id '{Device}', not '{ClientId}'", device.DeviceId, device.DeviceId, e.ClientId);
            return;
        }
        // Only a device with failures on record costs a write: a reconnect storm after an outage stays in memory.
        try
        {
            if (verdict is ThrottleVerdict.Allowed { AfterFailures: true })
            {
                await throttle.SucceededAsync(SignInThrottle.Device, device.DeviceId, CancellationToken.None);
            }
        }
        catch (Npgsql.NpgsqlException ex)
        {
            log.LogDebug("Could not clear {Device}'s failed connects: {Reason}", device.DeviceId, ex.Message);
        }
        e.SessionItems[DeviceKey] = device;
        e.SessionItems[AcknowledgementsKey] = new HeldAcknowledgements(e.RemoteEndPoint);
    }

    /// <summary>The throttle lives in the database; while it cannot be reached, connects are judged by their secret alone.</summary>
    private async Task<ThrottleVerdict> CheckThrottleAsync(string user)
    {
        try
        {
            return await throttle.CheckAsync(SignInThrottle.Device, user, CancellationToken.None);
        }
        catch (Npgsql.NpgsqlException ex)
        {
            log.LogWarning("Sign-in throttle unavailable ({Reason}); judging {User}'s connect by its secret alone", ex.Message, user);
            return ThrottleVerdict.Yes;
        }
    }

    private async Task CountFailureAsync(string user)
    {
        try
        {
            if (await throttle.FailedAsync(SignInThrottle.Device, user, CancellationToken.None))
            {
                log.LogWarning("MQTT user '{User}' locked after repeated wrong secrets (paju device unlock {User} lifts it)", user, user);
            }
        }
        catch (Npgsql.NpgsqlException ex)
        {
            log.LogWarning("Could not count a wrong secret for {User}: {Reason}", user, ex.Message);
        }
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // Messages the server itself injects carry no client: nothing to check or store.
        if (string.IsNullOrEmpty(e.ClientId) || e.SessionItems[DeviceKey] is not Device sender)
        {
            return;
        }
        var topic = e.ApplicationMessage.Topic;
        var parsed = TelemetryTopic.TryParse(topic, out _);
        var allowed = sender.Role == DeviceStore.DeviceRole && parsed is not null && parsed.Device == sender.DeviceId && parsed.Site == sender.Site;
        var message = new IncomingMessage(topic, e.ApplicationMessage.Payload.ToArray(), clock.GetUtcNow(), e.ClientId, sender.DeviceId,
            Denied: parsed is not null && !allowed, Sender: sender);

        var queued = await pipeline.EnqueueAsync(message, CancellationToken.None);
        if (queued.Rejected)
        {
            // Kept for operators, not passed on to subscribers.
            e.ProcessPublish = false;
        }
        if (e.ApplicationMessage.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
        {
            return;
        }
        if (e.SessionItems[AcknowledgementsKey] is HeldAcknowledgements held)
        {
            // Its PUBACK waits in the send loop (HoldAcknowledgementAsync); the device's next publish can be read now.
            held.Hold(held.Arriving, queued.Committed, message.Denied);
            return;
        }
        if (await queued.Committed == IngestOutcome.DeadLettered)
        {
            e.ProcessPublish = false;
            e.Response.ReasonCode = message.Denied ? MqttPubAckReasonCode.NotAuthorized : MqttPubAckReasonCode.PayloadFormatInvalid;
        }
    }

    private Task NoteArrivingPublishAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttPublishPacket { QualityOfServiceLevel: > MqttQualityOfServiceLevel.AtMostOnce } publish
            && e.SessionItems[AcknowledgementsKey] is HeldAcknowledgements held)
        {
            held.Arriving = publish.PacketIdentifier;
        }
        return Task.CompletedTask;
    }

    /// <summary>A device's PUBACK (PUBREC for QoS 2) leaves only once its message committed, with the outcome's reason code.</summary>
    private async Task HoldAcknowledgementAsync(InterceptingPacketEventArgs e)
    {
        var packetIdentifier = e.Packet switch
        {
            MqttPubAckPacket ack => ack.PacketIdentifier,
            MqttPubRecPacket rec => rec.PacketIdentifier,
            _ => (ushort)0,
        };
        if (packetIdentifier == 0 || e.SessionItems[AcknowledgementsKey] is not HeldAcknowledgements acknowledgements)
        {
            return;
        }
        if (!Equals(acknowledgements.Connection, e.RemoteEndPoint))
        {
            // A connection the device has since replaced: the new one answers for the redelivered messages.
            e.ProcessPacket = false;
            return;
        }
        if (!acknowledgements.TryRelease(packetIdentifier, out var held) || await held.Committed.WaitAsync(e.CancellationToken) != IngestOutcome.DeadLettered)
        {
            return;
        }
        switch (e.Packet)
        {
            case MqttPubAckPacket ack:
                ack.ReasonCode = held.Denied ? MqttPubAckReasonCode.NotAuthorized : MqttPubAckReasonCode.PayloadFormatInvalid;
                break;
            case MqttPubRecPacket rec:
                rec.ReasonCode = held.Denied ? MqttPubRecReasonCode.NotAuthorized : MqttPubRecReasonCode.PayloadFormatInvalid;
                break;
        }
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (e.SessionItems[DeviceKey] is not Device { Role: DeviceStore.IngestRole })
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync();
        }
    }

    public void Dispose() => _server?.Dispose();
}
