using System.Net;
using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Paju.Field.Telemetry;

namespace Paju.Field.Tests.Harness;

/// <summary>A device for tests: an MQTTnet 5 client with the contract's conventions (client id = device id, status will).</summary>
public sealed class MqttDevice : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly List<WirePacket> _wire;

    private MqttDevice(IMqttClient client, List<WirePacket> wire, string site, string device)
    {
        _client = client;
        _wire = wire;
        Site = site;
        Device = device;
    }

    /// <summary>A packet as it crossed the wire: its MQTT type (3 PUBLISH, 4 PUBACK …) and packet identifier, if it has one a test reads.</summary>
    public readonly record struct WirePacket(bool Sent, int Type, ushort? Id);

    /// <summary>Every packet sent and received, in wire order.</summary>
    public IReadOnlyList<WirePacket> Wire
    {
        get
        {
            lock (_wire)
            {
                return [.. _wire];
            }
        }
    }

    public string Site { get; }

    public string Device { get; }

    public long Boot { get; set; } = 1_732_400_000;

    public long NextSeq { get; set; }

    public static async Task<MqttDevice> ConnectAsync(int port, string site, string device, string password,
        MqttProtocolVersion version = MqttProtocolVersion.V500, string? clientId = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var wire = new List<WirePacket>();
        client.InspectPacketAsync += e =>
        {
            lock (wire)
            {
                wire.Add(Read(e.Direction == MQTTnet.Diagnostics.PacketInspection.MqttPacketFlowDirection.Outbound, e.Buffer));
            }
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId ?? device)
            .WithCredentials(device, password)
            .WithProtocolVersion(version)
            .WithWillTopic(TelemetryTopic.For(site, device, TelemetryTopic.Status))
            .WithWillPayload(new DeviceStatus(device, false, null).ToJson())
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillRetain()
            .WithTimeout(TimeSpan.FromSeconds(30))
            .Build();
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException e)
        {
            // MQTTnet 5 puts the broker's CONNACK reason into the message only.
            client.Dispose();
            var code = Enum.GetValues<MqttClientConnectResultCode>().OrderByDescending(c => c.ToString().Length)
                .FirstOrDefault(c => e.Message.Contains(c.ToString(), StringComparison.Ordinal), MqttClientConnectResultCode.UnspecifiedError);
            throw new MqttConnectionRefused(code, e.Message);
        }
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new MqttConnectionRefused(result.ResultCode);
        }
        return new MqttDevice(client, wire, site, device);
    }

    /// <summary>The type and, for PUBLISH (QoS 1, 2), PUBACK and PUBREC, the packet identifier of a whole packet's bytes.</summary>
    private static WirePacket Read(bool sent, byte[] packet)
    {
        var type = packet[0] >> 4;
        var at = 1;
        while ((packet[at++] & 0x80) != 0)
        {
            // the remaining length, 1–4 bytes
        }
        if (type == 3)
        {
            var qos = (packet[0] >> 1) & 3;
            at += 2 + ((packet[at] << 8) | packet[at + 1]);   // the topic name
            return new(sent, type, qos > 0 ? (ushort)((packet[at] << 8) | packet[at + 1]) : null);
        }
        return new(sent, type, type is 4 or 5 ? (ushort)((packet[at] << 8) | packet[at + 1]) : null);
    }

    public TelemetryReading Reading(DateTimeOffset? ts = null, bool historical = false, Dictionary<string, double>? numbers = null,
        Dictionary<string, bool>? flags = null) =>
        new(Device, Boot, NextSeq++, ts ?? DateTimeOffset.UtcNow, historical,
            numbers ?? new Dictionary<string, double> { ["basin_level_m"] = 2.5, ["inflow_m3_per_h"] = 1200 },
            flags ?? new Dictionary<string, bool> { ["pump1_running"] = true });

    public Task<MqttClientPublishResult> PublishAsync(TelemetryReading reading) =>
        PublishRawAsync(TelemetryTopic.For(Site, Device, TelemetryTopic.Telemetry), reading.ToJson());

    public Task<MqttClientPublishResult> PublishRawAsync(string topic, string payload, bool retain = false) =>
        PublishBytesAsync(topic, System.Text.Encoding.UTF8.GetBytes(payload), retain);

    public async Task<MqttClientPublishResult> PublishBytesAsync(string topic, byte[] payload, bool retain = false)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build();
        return await _client.PublishAsync(message);
    }

    /// <summary>Drops the TCP connection without DISCONNECT, as a power cut would: the broker publishes the will.</summary>
    public void Vanish() => _client.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }
        _client.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class MqttConnectionRefused(MqttClientConnectResultCode code, string? detail = null) : Exception($"connection refused: {code} {detail}")
{
    public MqttClientConnectResultCode Code { get; } = code;
}
