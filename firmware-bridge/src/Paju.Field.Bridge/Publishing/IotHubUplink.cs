using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Paju.Field.Bridge.Config;

namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// Azure IoT Hub's MQTT device protocol: MQTT 3.1.1 over TLS, client id the device id, username
/// <c>{hub}/{device}/?api-version=2021-04-12</c>, a SAS token as password, telemetry on
/// <c>devices/{device}/messages/events/</c> with the channel and content type as properties, QoS 1,
/// at most 256 KB a message. The hub drops a connection whose token expired, so the bridge
/// reconnects with a fresh token when 80% of its lifetime has passed.
/// </summary>
public sealed class IotHubUplink(string deviceId, IotHubSettings hub) : IUplink
{
    public const string ApiVersion = "2021-04-12";
    public const int MaxMessageBytes = 256 * 1024;

    public string Name => "iot-hub";

    public string Endpoint => $"{hub.HostName}:{hub.Port}";

    public DateTimeOffset? RenewAt { get; private set; }

    public string Username => $"{hub.HostName}/{deviceId}/?api-version={ApiVersion}";

    public string TelemetryTopic(string channel) =>
        $"devices/{deviceId}/messages/events/channel={Uri.EscapeDataString(channel)}&$.ct=application%2Fjson&$.ce=utf-8";

    public MqttClientOptions ConnectOptions(DateTimeOffset now)
    {
        var lifetime = TimeSpan.FromSeconds(hub.TokenLifetimeSeconds);
        var token = SasToken.Create(hub.HostName, deviceId, hub.Devices[deviceId].ReadKey(), now + lifetime);
        RenewAt = now + lifetime * 0.8;
        return new MqttClientOptionsBuilder()
            .WithTcpServer(hub.HostName, hub.Port)
            .WithClientId(deviceId)
            .WithCredentials(Username, token)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithCleanSession(false)
            .WithTimeout(TimeSpan.FromSeconds(20))
            .WithKeepAlivePeriod(TimeSpan.FromMinutes(4))   // IoT Hub allows up to 29 min; under NAT keep it short
            .WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(hub.HostName);
                if (hub.CaFile is not null)
                {
                    var roots = new X509Certificate2Collection();
                    roots.ImportFromPemFile(hub.CaFile);
                    tls.WithTrustChain(roots);
                }
            })
            .Build();
    }

    // The hub has no retained messages and turns a Will into telemetry: the device twin carries
    // connection state there, so neither birth nor goodbye is sent.
    public MqttApplicationMessage? Birth() => null;

    public MqttApplicationMessage? Goodbye() => null;

    public (MqttApplicationMessage? Message, string? Refusal) Reading(string channel, byte[] json)
    {
        var topic = TelemetryTopic(channel);
        // The limit covers the whole message; topic and payload are nearly all of it.
        var size = json.Length + System.Text.Encoding.UTF8.GetByteCount(topic);
        if (size > MaxMessageBytes)
        {
            return (null, $"message of {size:N0} bytes is over IoT Hub's limit of {MaxMessageBytes:N0}");
        }
        return (new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(json)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), null);
    }
}
