using MQTTnet;
using MQTTnet.Exceptions;
using Paju.Field.Telemetry;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// A device that never gives up a reading: it publishes readings 0..n−1 one at a time, keeps each
/// until its PUBACK, and after any failure reconnects and resends the same reading (same boot and
/// seq), as the contract asks. It records which readings were acknowledged.
/// </summary>
public sealed class ReliablePublisher(Func<int> port, string site, string device, string secret, long boot)
{
    private readonly HashSet<long> _acked = [];

    public IReadOnlyCollection<long> Acknowledged
    {
        get
        {
            lock (_acked)
            {
                return [.. _acked];
            }
        }
    }

    public int Reconnects { get; private set; }

    public async Task RunAsync(int count, TimeSpan pause, CancellationToken ct)
    {
        MqttDevice? client = null;
        var start = DateTimeOffset.UtcNow;
        try
        {
            for (var seq = 0L; seq < count; seq++)
            {
                var reading = new TelemetryReading(device, boot, seq, start.AddSeconds(seq), false,
                    new Dictionary<string, double> { ["basin_level_m"] = 1 + seq / 1000.0 }, new Dictionary<string, bool>());
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    try
                    {
                        client ??= await MqttDevice.ConnectAsync(port(), site, device, secret);
                        var ack = await client.PublishAsync(reading);
                        if (ack.IsSuccess)
                        {
                            lock (_acked)
                            {
                                _acked.Add(seq);
                            }
                            break;
                        }
                        throw new InvalidOperationException($"reading {seq} refused: {ack.ReasonCode}");
                    }
                    catch (Exception e) when (e is MqttCommunicationException or MqttConnectionRefused or OperationCanceledException
                                                  or TimeoutException or System.Net.Sockets.SocketException or MqttClientNotConnectedException && !ct.IsCancellationRequested)
                    {
                        client?.Vanish();
                        client = null;
                        Reconnects++;
                        await Task.Delay(200, ct);
                    }
                }
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, ct);
                }
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    public async Task WaitForAcknowledgedAsync(int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (Acknowledged.Count < atLeast)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {Acknowledged.Count} readings acknowledged");
            await Task.Delay(20);
        }
    }
}
