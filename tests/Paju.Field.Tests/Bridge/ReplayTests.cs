using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Server;
using Paju.Field.Bridge;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Bridge.Queue;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// Store-and-forward, the publisher: a backlog goes out oldest first, flagged historical, at the
/// configured pace, with live readings beside it; a bound that is hit drops the oldest and the
/// bridge's state says how many.
/// </summary>
public sealed class ReplayTests : IDisposable
{
    private const string Device = "ulgok-ps1-plc";
    private static readonly SlaveConfig Slave = new() { Id = 1, Model = "m", Site = "ulgok-ps1", Device = Device, Secret = "x" };
    private readonly string _dir = TempDirectory.Create("paju-replay-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, double> Level(int i) => new() { ["basin_level_m"] = i / 100.0 };

    [Fact]
    public async Task A_backlog_is_replayed_in_order_flagged_historical_at_its_pace_beside_live_readings()
    {
        const int backlog = 100;
        const int perSecond = 20;
        var settings = new QueueSettings { Directory = _dir, ReplayPerSecond = perSecond };
        using var queue = DiskQueue.Open(Path.Combine(_dir, Device, "broker"), settings, NullLogger.Instance);
        var port = MqttDevice.FreePort();
        var publisher = new DevicePublisher(Device, new BrokerUplink(Slave, new MqttSettings { Endpoint = $"127.0.0.1:{port}" }, 7), queue, settings, new ListLogger());
        var outlet = new DeviceOutlet(Device, 7, [publisher]);
        for (var i = 0; i < backlog; i++)
        {
            outlet.Offer(TelemetryTopic.Telemetry, DateTimeOffset.UtcNow, Level(i), []);   // the link is down: all queued
        }

        using var broker = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port).Build());
        await broker.StartAsync();
        var arrived = new ConcurrentQueue<(TelemetryReading Reading, long At)>();
        using var observer = new MqttClientFactory().CreateMqttClient();
        observer.ApplicationMessageReceivedAsync += e =>
        {
            if (e.ApplicationMessage.Topic.EndsWith("/telemetry", StringComparison.Ordinal))
            {
                arrived.Enqueue((TelemetryReading.Parse(e.ApplicationMessage.Payload.ToArray(), Device).Reading!, Stopwatch.GetTimestamp()));
            }
            return Task.CompletedTask;
        };
        await observer.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("observer").Build());
        await observer.SubscribeAsync("#");

        using var stop = new CancellationTokenSource();
        var running = publisher.RunAsync(stop.Token);
        var live = 0;
        try
        {
            // Live readings every 100 ms until the whole backlog is through, and a few more.
            var deadline = DateTime.UtcNow.AddMinutes(2);
            // Live from the moment the replay has begun (a reading made while it connects is backlog).
            while (arrived.IsEmpty)
            {
                Assert.True(DateTime.UtcNow < deadline, "nothing was replayed");
                await Task.Delay(20);
            }
            var after = 0;
            while (after < 5)
            {
                if (arrived.Count(a => a.Reading.Historical) >= backlog)
                {
                    after++;
                }
                Assert.True(DateTime.UtcNow < deadline, $"after two minutes {arrived.Count} readings had arrived");
                outlet.Offer(TelemetryTopic.Telemetry, DateTimeOffset.UtcNow, Level(backlog + live), []);
                live++;
                await Task.Delay(100);
            }
            while (arrived.Count < backlog + live && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running;
            await publisher.DisposeAsync();
        }

        var all = arrived.ToList();
        var replayed = all.Where(a => a.Reading.Historical).ToList();
        var fresh = all.Where(a => !a.Reading.Historical).ToList();
        Assert.Equal(Enumerable.Range(0, backlog).Select(n => (long)n), replayed.Select(r => r.Reading.Seq));
        Assert.Equal(Enumerable.Range(backlog, live).Select(n => (long)n), fresh.Select(r => r.Reading.Seq));
        // Live readings went out while the replay was still going.
        Assert.Contains(fresh, f => f.At < replayed[^1].At);
        // Paced: after the first second's burst, at most perSecond a second. A slow machine only adds time.
        var span = Stopwatch.GetElapsedTime(replayed[0].At, replayed[^1].At);
        Assert.True(span >= TimeSpan.FromSeconds((backlog - perSecond - 1) / (double)perSecond), $"{backlog} readings replayed in {span.TotalSeconds:F2} s");
        Assert.Equal(0, queue.State().Pending);
        Assert.Equal(backlog + live, publisher.Published);
        Assert.Equal(backlog, publisher.Replayed);
    }

    [Fact]
    public void When_the_size_bound_is_hit_the_oldest_readings_are_dropped_and_the_bridge_state_counts_them()
    {
        var settings = new QueueSettings { Directory = _dir, MaxMegabytes = 1 };
        using var queue = DiskQueue.Open(Path.Combine(_dir, Device, "broker"), settings, NullLogger.Instance);
        var publisher = new DevicePublisher(Device, new BrokerUplink(Slave, new MqttSettings(), 1), queue, settings, new ListLogger());
        var outlet = new DeviceOutlet(Device, 1, [publisher]);
        const int offered = 3000;
        var wide = Enumerable.Range(0, 40).ToDictionary(i => $"pump{i}_current_a", i => i * 1.5);
        for (var i = 0; i < offered; i++)
        {
            outlet.Offer(TelemetryTopic.Telemetry, DateTimeOffset.UtcNow, wide, []);
        }
        var state = BridgeStatus.Uplink(publisher);
        Assert.True(state.Dropped > 0, "nothing was dropped: the readings did not fill the bound");
        Assert.Equal(offered, state.Pending + state.Dropped);
        Assert.True(state.QueueBytes <= 1024 * 1024);
        Assert.Equal(offered, state.LastLsn);
    }
}
