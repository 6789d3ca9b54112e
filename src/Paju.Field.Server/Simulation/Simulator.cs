using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Paju.Field.Server.Simulation;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Simulation;

/// <summary>
/// Runs the Ulgok plant and publishes it over MQTT as its two controllers would, with their
/// credentials, boot epochs, sequence numbers and Last Wills. The physics runs Speed times faster
/// than the clock (a typhoon night in minutes); timestamps are the wall clock, as a device's are.
/// </summary>
public sealed class Simulator(UlgokPlant plant, string host, int port, IReadOnlyDictionary<string, string> secrets, ILogger log)
{
    private static readonly TimeSpan MaxPhysicsStep = TimeSpan.FromSeconds(10);

    public double Speed { get; init; } = 60;

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken ct)
    {
        var boot = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var stations = new[] { (Station: plant.Main, Store: "basin"), (Station: plant.Simple, Store: "tank") };
        var clients = new Dictionary<string, IMqttClient>();
        var seq = 0L;
        try
        {
            log.LogInformation("Simulating the Ulgok stations, scenario '{Scenario}' at {Speed}× speed, publishing to {Host}:{Port}",
                plant.Scenario.Name, Speed, host, port);
            using var timer = new PeriodicTimer(Interval);
            do
            {
                // Advance the physics by the interval times the speed, in small steps.
                var advance = Interval * Speed;
                while (advance > TimeSpan.Zero)
                {
                    var dt = advance < MaxPhysicsStep ? advance : MaxPhysicsStep;
                    plant.Step(dt);
                    advance -= dt;
                }
                foreach (var (station, store) in stations)
                {
                    if (station == plant.Simple && plant.SimpleLinkDown)
                    {
                        if (clients.Remove(station.Device, out var lost))
                        {
                            lost.Dispose();   // the link drops: no DISCONNECT, so the broker publishes the Last Will
                        }
                        continue;
                    }
                    var client = await ConnectedAsync(clients, station, boot, ct);
                    var (numbers, flags) = station.Readings(store);
                    var reading = new TelemetryReading(station.Device, boot, seq++, DateTimeOffset.UtcNow, false, numbers, flags);
                    await client.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic(TelemetryTopic.For(station.Site, station.Device, TelemetryTopic.Telemetry))
                        .WithPayload(reading.ToJson()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationTimedOutException)
        {
            // Stopping mid-publish: MQTTnet reports the abandoned PUBACK wait as a timeout, not a cancellation.
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync();
                }
                client.Dispose();
            }
        }
    }

    private async Task<IMqttClient> ConnectedAsync(Dictionary<string, IMqttClient> clients, Station station, long boot, CancellationToken ct)
    {
        if (clients.TryGetValue(station.Device, out var existing) && existing.IsConnected)
        {
            return existing;
        }
        existing?.Dispose();
        var client = new MqttClientFactory().CreateMqttClient();
        var status = TelemetryTopic.For(station.Site, station.Device, TelemetryTopic.Status);
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer(host, port).WithClientId(station.Device).WithCredentials(station.Device, secrets[station.Device])
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithWillTopic(status).WithWillPayload(new DeviceStatus(station.Device, false, boot).ToJson())
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithWillRetain()
            .Build(), ct);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(status).WithPayload(new DeviceStatus(station.Device, true, boot).ToJson())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build(), ct);
        clients[station.Device] = client;
        return client;
    }
}
