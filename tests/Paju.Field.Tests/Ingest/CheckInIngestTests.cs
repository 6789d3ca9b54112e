using MQTTnet;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>Check-ins over MQTT: stored by the contract, once per (device, boot, seq); a broken one never holds up anything else.</summary>
public sealed class CheckInIngestTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    private static CheckIn CheckInOf(MqttDevice device, long seq, string? uid = "04A2241A6D5E80") =>
        new(device.Device, device.Boot, seq, DateTimeOffset.UtcNow, uid, "https://safety.paju.go.kr/t/PG-0001?s=AB", "door-1", "inspector1",
            new CheckInPosition(37.7599, 126.7802, 8), false);

    [Fact]
    public async Task A_check_in_is_stored_with_its_fields_and_a_redelivered_copy_once()
    {
        await using var reader = await mqtt.ConnectNewDeviceAsync("checkin-reader-1");
        var topic = TelemetryTopic.For(reader.Site, reader.Device, TelemetryTopic.Checkin);
        var checkIn = CheckInOf(reader, 5);

        Assert.True((await reader.PublishRawAsync(topic, checkIn.ToJson())).IsSuccess);
        Assert.True((await reader.PublishRawAsync(topic, checkIn.ToJson())).IsSuccess);   // QoS 1 redelivery

        Assert.Equal(1L, await mqtt.Db.ScalarAsync<long>("""
            SELECT count(*) FROM checkin c JOIN device d ON d.id = c.device
            WHERE d.device_id = $1 AND c.boot = $2 AND c.seq = 5 AND c.uid = '04A2241A6D5E80' AND c.reader = 'door-1'
              AND c.operator = 'inspector1' AND c.accuracy_m = 8 AND ST_DWithin(c.position, ST_SetSRID(ST_MakePoint(126.7802, 37.7599), 4326), 1e-9)
              AND c.url = 'https://safety.paju.go.kr/t/PG-0001?s=AB'
            """, reader.Device, reader.Boot));
    }

    [Fact]
    public async Task Check_ins_that_are_not_JSON_are_dead_lettered_and_telemetry_keeps_flowing()
    {
        // The incident: two non-JSON check-ins occupied both writer slots and no reading was stored any more.
        await using var reader = await mqtt.ConnectNewDeviceAsync("checkin-reader-2");
        await using var gauge = await mqtt.ConnectNewDeviceAsync("checkin-gauge-2");
        var topic = TelemetryTopic.For(reader.Site, reader.Device, TelemetryTopic.Checkin);

        var first = await reader.PublishRawAsync(topic, "04DE5F1EACC040");
        var second = await reader.PublishRawAsync(topic, "tag=04DE5F1EACC040");
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, first.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, second.ReasonCode);
        for (var i = 0; i < 20; i++)
        {
            Assert.True((await gauge.PublishAsync(gauge.Reading())).IsSuccess);
        }

        Assert.Equal(20L, await mqtt.Db.ScalarAsync<long>(
            "SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1", gauge.Device));
        Assert.Equal(2L, await mqtt.Db.ScalarAsync<long>(
            "SELECT count(*) FROM dead_letter WHERE topic = $1 AND reason_code = 'malformed_json'", topic));
    }

    [Fact]
    public async Task A_check_in_dated_in_the_future_is_refused_with_the_clock_to_set()
    {
        await using var reader = await mqtt.ConnectNewDeviceAsync("checkin-reader-3");
        var topic = TelemetryTopic.For(reader.Site, reader.Device, TelemetryTopic.Checkin);
        var future = CheckInOf(reader, 1) with { Timestamp = DateTimeOffset.UtcNow.AddHours(2) };

        var result = await reader.PublishRawAsync(topic, future.ToJson());

        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, result.ReasonCode);
        Assert.Contains("clock", await mqtt.Db.ScalarAsync<string>("SELECT reason FROM dead_letter WHERE topic = $1", topic));
    }
}
