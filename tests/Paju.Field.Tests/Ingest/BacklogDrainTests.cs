using MQTTnet;
using MQTTnet.Protocol;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>A deep backlog on mosquitto (workers down while devices kept publishing) drains completely when the workers return.</summary>
public sealed class BacklogDrainTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    [Fact]
    public async Task Workers_drain_a_backlog_of_thousands_of_messages()
    {
        foreach (var worker in mosquitto.Workers)
        {
            await worker.StopCleanlyAsync();
        }
        const int perDevice = 6000;
        var devices = new[] { "ps1-plc", "ps2-plc", "rain-gauge" };
        await Task.WhenAll(devices.Select(async name =>
        {
            await using var device = await mosquitto.ConnectAsync(name);
            device.Boot = 4001;
            for (var i = 0; i < perDevice; i++)
            {
                Assert.True((await device.PublishAsync(device.Reading())).IsSuccess);
            }
        }));

        mosquitto.Workers[0] = mosquitto.StartWorker("ingest-a");
        mosquitto.Workers[1] = mosquitto.StartWorker("ingest-b");
        var rows = await mosquitto.WaitForRowsAsync("SELECT count(*) FROM telemetry WHERE boot = 4001", perDevice * devices.Length);
        Assert.True(rows == perDevice * devices.Length,
            $"{rows} of {perDevice * devices.Length} drained\n{string.Join("\n----\n", mosquitto.Workers.Select(w => w.Output).Select(output => output[^Math.Min(3000, output.Length)..]))}");
    }
}
