using MQTTnet;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>
/// While one device streams valid readings, another publishes hundreds of generated malformed payloads on
/// each of its channels: every valid reading is stored, every bad payload is dead-lettered exactly once,
/// and ingest never stops — with the embedded broker and with `paju ingest` behind mosquitto.
/// </summary>
public static class Fuzz
{
    public const int PerChannel = 220;
    public const int ValidReadings = 300;

    public static readonly string[] Channels = [TelemetryTopic.Telemetry, TelemetryTopic.State, TelemetryTopic.Status, TelemetryTopic.Checkin];

    /// <summary>Publishes every malformed payload of every channel; returns how many were sent and the broker's answers.</summary>
    public static async Task<(int Sent, List<MqttClientPublishResult> Answers)> PublishMalformedAsync(MqttDevice bad, int seed)
    {
        var answers = new List<MqttClientPublishResult>();
        foreach (var channel in Channels)
        {
            var topic = TelemetryTopic.For(bad.Site, bad.Device, channel);
            foreach (var payload in MalformedPayloads.For(channel, bad.Device, PerChannel, seed + channel.Length))
            {
                answers.Add(await bad.PublishBytesAsync(topic, payload));
            }
        }
        return (answers.Count, answers);
    }

    public static async Task<int> StreamValidAsync(MqttDevice good, int count)
    {
        var acknowledged = 0;
        for (var i = 0; i < count; i++)
        {
            if ((await good.PublishAsync(good.Reading())).IsSuccess)
            {
                acknowledged++;
            }
        }
        return acknowledged;
    }

    public const string ReadingsOf = "SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1 AND t.boot = $2";

    public const string DeadLettersOf = "SELECT count(*) FROM dead_letter WHERE topic LIKE $1";
}

public sealed class EmbeddedFuzzTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    [Fact]
    public async Task Malformed_payloads_on_every_channel_never_stop_the_valid_readings()
    {
        await using var good = await mqtt.ConnectNewDeviceAsync("fuzz-good");
        await using var bad = await mqtt.ConnectNewDeviceAsync("fuzz-bad");
        good.Boot = 4242;

        var stream = Fuzz.StreamValidAsync(good, Fuzz.ValidReadings);
        var (sent, answers) = await Fuzz.PublishMalformedAsync(bad, seed: 1);
        var acknowledged = await stream;

        Assert.True(sent >= 4 * 200);
        Assert.Equal(Fuzz.ValidReadings, acknowledged);
        Assert.Equal(Fuzz.ValidReadings, await mqtt.Db.ScalarAsync<long>(Fuzz.ReadingsOf, good.Device, good.Boot));
        // Each refused with a reason code in its PUBACK (MQTT 5), and kept exactly once.
        Assert.All(answers, a => Assert.False(a.IsSuccess, $"a malformed payload was accepted: {a.ReasonCode}"));
        Assert.Equal(sent, await mqtt.Db.ScalarAsync<long>(Fuzz.DeadLettersOf, $"paju/v1/{bad.Site}/{bad.Device}/%"));
        // And ingest is still alive.
        Assert.True((await good.PublishAsync(good.Reading())).IsSuccess);
        Assert.Equal(Fuzz.ValidReadings + 1, await mqtt.Db.ScalarAsync<long>(Fuzz.ReadingsOf, good.Device, good.Boot));
    }
}

/// <summary>Devices on mosquitto, two `paju ingest` workers.</summary>
public sealed class FuzzMosquittoFixture(PostgisServer server) : MosquittoFixture(server)
{
    protected override IReadOnlyList<(string Device, string Site)> DevicePlan => [("fuzz-good", "ulgok-ps1"), ("fuzz-bad", "ulgok-ps2")];
}

public sealed class ExternalFuzzTests(FuzzMosquittoFixture mosquitto) : IClassFixture<FuzzMosquittoFixture>
{
    [Fact]
    public async Task Malformed_payloads_on_every_channel_never_stop_the_ingest_workers()
    {
        await using var good = await mosquitto.ConnectAsync("fuzz-good");
        await using var bad = await mosquitto.ConnectAsync("fuzz-bad");
        good.Boot = 4343;

        var stream = Fuzz.StreamValidAsync(good, Fuzz.ValidReadings);
        var (sent, _) = await Fuzz.PublishMalformedAsync(bad, seed: 2);
        Assert.Equal(Fuzz.ValidReadings, await stream);

        var badTopics = $"paju/v1/{bad.Site}/{bad.Device}/%";
        Assert.Equal(Fuzz.ValidReadings, await mosquitto.WaitForRowsAsync(Fuzz.ReadingsOf, Fuzz.ValidReadings, good.Device, good.Boot));
        Assert.Equal(sent, await mosquitto.WaitForRowsAsync(Fuzz.DeadLettersOf, sent, badTopics));

        // A last reading after all of it arrives too, and no dead letter came twice meanwhile.
        Assert.True((await good.PublishAsync(good.Reading())).IsSuccess);
        Assert.Equal(Fuzz.ValidReadings + 1, await mosquitto.WaitForRowsAsync(Fuzz.ReadingsOf, Fuzz.ValidReadings + 1, good.Device, good.Boot));
        Assert.Equal(sent, await mosquitto.Db.ScalarAsync<long>(Fuzz.DeadLettersOf, badTopics));
        Assert.All(mosquitto.Workers, w => Assert.False(w.HasExited, w.Output));
    }
}
