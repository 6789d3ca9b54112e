using MQTTnet;
using Paju.Field.Server.Database;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>External mode: mosquitto with the files `paju broker config` wrote, and `paju ingest` workers sharing the load.</summary>
public sealed class MosquittoIngestTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    private const string RowsOfBoot = "SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1 AND t.boot = $2";

    [Fact]
    public async Task Two_ingest_processes_split_the_load_and_store_every_message_once()
    {
        await using var ps1 = await mosquitto.ConnectAsync("ps1-plc");
        await using var ps2 = await mosquitto.ConnectAsync("ps2-plc");
        ps1.Boot = ps2.Boot = 2001;
        const int each = 300;
        for (var i = 0; i < each; i++)
        {
            Assert.True((await ps1.PublishAsync(ps1.Reading())).IsSuccess);
            Assert.True((await ps2.PublishAsync(ps2.Reading())).IsSuccess);
        }

        Assert.Equal(each, await mosquitto.WaitForRowsAsync(RowsOfBoot, each, "ps1-plc", 2001L));
        Assert.Equal(each, await mosquitto.WaitForRowsAsync(RowsOfBoot, each, "ps2-plc", 2001L));
        // Both workers took part: each logs what it stored every few seconds.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (mosquitto.Workers.Any(w => w.StoredSoFar == 0))
        {
            Assert.True(DateTime.UtcNow < deadline, string.Join("\n----\n", mosquitto.Workers.Select(w => w.Output)));
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_resent_message_is_stored_once()
    {
        await using var device = await mosquitto.ConnectAsync("rain-gauge");
        device.Boot = 2002;
        var reading = device.Reading(numbers: new() { ["rain_mm_per_h"] = 12 });
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await device.PublishAsync(reading)).IsSuccess);
        }
        var marker = device.Reading(numbers: new() { ["rain_mm_per_h"] = 13 });
        await device.PublishAsync(marker);

        Assert.Equal(2, await mosquitto.WaitForRowsAsync(RowsOfBoot, 2, "rain-gauge", 2002L));
        await Task.Delay(500);   // time for any stray copy to land (there must be none)
        Assert.Equal(2L, await mosquitto.Db.ScalarAsync<long>(RowsOfBoot, "rain-gauge", 2002L));
    }

    [Fact]
    public async Task The_ACL_keeps_a_device_to_its_own_topics()
    {
        await using (var intruder = await mosquitto.ConnectAsync("ps1-plc"))
        {
            var foreign = new TelemetryReading("ps2-plc", 2003, 0, DateTimeOffset.UtcNow, false,
                new Dictionary<string, double> { ["basin_level_m"] = 1 }, new Dictionary<string, bool>());
            try
            {
                await intruder.PublishRawAsync(TelemetryTopic.For("ulgok-ps2", "ps2-plc", "telemetry"), foreign.ToJson());
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // mosquitto may drop the connection of a client that breaks its ACL.
            }
        }
        await using var device = await mosquitto.ConnectAsync("ps1-plc");
        device.Boot = 2003;
        await device.PublishAsync(device.Reading());   // a marker on its own topic

        Assert.Equal(1, await mosquitto.WaitForRowsAsync(RowsOfBoot, 1, "ps1-plc", 2003L));
        Assert.Equal(0L, await mosquitto.Db.ScalarAsync<long>(RowsOfBoot, "ps2-plc", 2003L));
    }

    [Fact]
    public async Task Mosquitto_refuses_anonymous_clients_and_wrong_passwords()
    {
        await Assert.ThrowsAsync<MqttConnectionRefused>(() => MqttDevice.ConnectAsync(mosquitto.Broker.Port, "x", "", "", clientId: "anonymous"));
        await Assert.ThrowsAsync<MqttConnectionRefused>(() => MqttDevice.ConnectAsync(mosquitto.Broker.Port, "ulgok-ps1", "ps1-plc", "wrong"));
    }

    [Fact]
    public async Task Mosquitto_pub_publishes_as_a_device_through_mosquitto()
    {
        var mosquittoPub = Requires.Tool("mosquitto_pub", "apt-get install mosquitto-clients");
        var (site, secret) = mosquitto.Devices["ps2-plc"];
        var reading = new TelemetryReading("ps2-plc", 2004, 0, DateTimeOffset.UtcNow, false,
            new Dictionary<string, double> { ["outflow_m3_per_h"] = 8000 }, new Dictionary<string, bool>());
        var result = await ProcessRunner.RunAsync(mosquittoPub,
        [
            "-h", "127.0.0.1", "-p", mosquitto.Broker.Port.ToString(), "-q", "1", "-V", "mqttv311",
            "-i", "ps2-plc", "-u", "ps2-plc", "-P", secret, "-t", TelemetryTopic.For(site, "ps2-plc", "telemetry"), "-m", reading.ToJson(),
        ]);
        Assert.True(result.Succeeded, result.Explanation);
        Assert.Equal(1, await mosquitto.WaitForRowsAsync(RowsOfBoot, 1, "ps2-plc", 2004L));
    }

    [Fact]
    public async Task Bad_payloads_through_mosquitto_become_dead_letters()
    {
        await using var device = await mosquitto.ConnectAsync("rain-gauge");
        await device.PublishRawAsync(TelemetryTopic.For("ulgok-ps1", "rain-gauge", "telemetry"), "{\"v\":1, broken");
        Assert.True(await mosquitto.WaitForRowsAsync(
            "SELECT count(*) FROM dead_letter WHERE reason_code = 'malformed_json' AND topic LIKE '%rain-gauge%'", 1) >= 1);
    }
}
