using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MQTTnet;
using MQTTnet.Server;
using Paju.Field.Telemetry;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// A bare MQTTnet broker on a loopback port with an observer subscribed to everything: what a device's uplink delivered,
/// as the contract's types — check-ins with their topics, and state readings.
/// </summary>
public sealed class ObservedBroker : IAsyncDisposable
{
    private readonly MqttServer _broker;
    private readonly IMqttClient _observer;

    private ObservedBroker(MqttServer broker, IMqttClient observer) => (_broker, _observer) = (broker, observer);

    public ConcurrentQueue<(string Topic, CheckIn CheckIn)> CheckIns { get; } = new();

    public ConcurrentQueue<TelemetryReading> States { get; } = new();

    public static async Task<ObservedBroker> StartAsync(int port, string device)
    {
        var broker = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port).Build());
        await broker.StartAsync();
        var observed = new ObservedBroker(broker, new MqttClientFactory().CreateMqttClient());
        observed._observer.ApplicationMessageReceivedAsync += e =>
        {
            var topic = e.ApplicationMessage.Topic;
            var payload = e.ApplicationMessage.Payload.ToArray();
            if (topic.EndsWith("/checkin", StringComparison.Ordinal))
            {
                var (checkIn, _, reason) = CheckIn.Parse(payload, device);
                observed.CheckIns.Enqueue((topic, checkIn ?? throw new InvalidOperationException(reason)));
            }
            else if (topic.EndsWith("/state", StringComparison.Ordinal))
            {
                var (reading, _, reason) = TelemetryReading.Parse(payload, device);
                observed.States.Enqueue(reading ?? throw new InvalidOperationException(reason));
            }
            return Task.CompletedTask;
        };
        await observed._observer.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("observer").Build());
        await observed._observer.SubscribeAsync("#");
        return observed;
    }

    /// <summary>The check-ins once at least <paramref name="count"/> arrived (a minute at most).</summary>
    public async Task<List<CheckIn>> CheckInsAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (CheckIns.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{CheckIns.Count} of {count} check-ins arrived");
            await Task.Delay(50);
        }
        return [.. CheckIns.Select(c => c.CheckIn)];
    }

    public async ValueTask DisposeAsync()
    {
        _observer.Dispose();
        await _broker.StopAsync();
        _broker.Dispose();
    }
}
