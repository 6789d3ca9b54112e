using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Paju.Field.Bridge.Config;
using Paju.Field.Telemetry;

namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// The city's broker, as PROTOCOL.md describes a device: MQTT 5, client id and username are the
/// device id, a retained birth on status and the same with online=false as Last Will, readings on
/// telemetry and health on state, QoS 1.
/// </summary>
public sealed class BrokerUplink(SlaveConfig slave, MqttSettings mqtt, long boot) : IUplink
{
    public string Name => "broker";

    public string Endpoint => mqtt.Endpoint;

    public DateTimeOffset? RenewAt => null;

    private string StatusTopic => TelemetryTopic.For(slave.Site, slave.Device, TelemetryTopic.Status);

    public MqttClientOptions ConnectOptions(DateTimeOffset now)
    {
        // The endpoint was validated before the bridge started.
        BrokerEndpoint.TryParse(mqtt.Endpoint, out var host, out var port);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(slave.Device)
            .WithCredentials(slave.Device, slave.ReadSecret())
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithWillTopic(StatusTopic).WithWillPayload(new DeviceStatus(slave.Device, false, boot).ToJson())
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithWillRetain();
        if (mqtt.Tls)
        {
            options = options.WithTlsOptions(o => o.UseTls());
        }
        return options.Build();
    }

    public MqttApplicationMessage Birth() => Status(online: true);

    public MqttApplicationMessage Goodbye() => Status(online: false);

    private MqttApplicationMessage Status(bool online) => new MqttApplicationMessageBuilder().WithTopic(StatusTopic)
        .WithPayload(new DeviceStatus(slave.Device, online, boot).ToJson())
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build();

    public (MqttApplicationMessage? Message, string? Refusal) Reading(string channel, byte[] json) =>
        (new MqttApplicationMessageBuilder()
            .WithTopic(TelemetryTopic.For(slave.Site, slave.Device, channel))
            .WithPayload(json)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), null);
}
