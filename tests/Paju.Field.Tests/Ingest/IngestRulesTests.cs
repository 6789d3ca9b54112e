using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ingest;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>The rest of the dead-letter reasons, retention, and the device commands.</summary>
public sealed class IngestRulesTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    private Task<long> DeadLettersAsync(string reason) =>
        mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter WHERE reason_code = $1", reason);

    [Fact]
    public async Task A_message_for_an_unregistered_device_is_dead_lettered()
    {
        // Behind mosquitto the ingest does not learn the publisher, only the topic.
        var reading = new TelemetryReading("ghost-plc", 1, 0, DateTimeOffset.UtcNow, false, new Dictionary<string, double> { ["basin_level_m"] = 1 }, new Dictionary<string, bool>());
        var outcome = await mqtt.Pipeline.SubmitAsync(new IncomingMessage(TelemetryTopic.For("ulgok-ps1", "ghost-plc", "telemetry"),
            System.Text.Encoding.UTF8.GetBytes(reading.ToJson()), DateTimeOffset.UtcNow, null, null), default);
        Assert.Equal(IngestOutcome.DeadLettered, outcome);
        Assert.Equal(1L, await DeadLettersAsync("unknown_device"));
    }

    [Fact]
    public async Task A_topic_outside_the_contract_and_an_oversized_payload_are_dead_lettered()
    {
        await using var device = await mqtt.ConnectAsync();
        await device.PublishRawAsync($"paju/v1/{EmbeddedBrokerFixture.Site}/{EmbeddedBrokerFixture.Device}/commands", "{}");
        await device.PublishRawAsync(TelemetryTopic.For(EmbeddedBrokerFixture.Site, EmbeddedBrokerFixture.Device, "telemetry"), new string('x', 70_000));

        Assert.Equal(1L, await DeadLettersAsync("bad_topic"));
        Assert.Equal(1L, await DeadLettersAsync("payload_too_large"));
        Assert.Equal(70_000, await mqtt.Db.ScalarAsync<int>("SELECT length(payload) FROM dead_letter WHERE reason_code = 'payload_too_large'"));
    }

    [Fact]
    public async Task Retention_drops_whole_day_partitions_older_than_the_setting()
    {
        await mqtt.Db.ExecuteAsync("CREATE TABLE telemetry_20200101 PARTITION OF telemetry FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-01-02 00:00+00')");
        var today = DateTime.UtcNow.ToString("yyyyMMdd");
        await mqtt.Db.ExecuteAsync($"CREATE TABLE IF NOT EXISTS telemetry_{today} PARTITION OF telemetry FOR VALUES FROM ('{DateTime.UtcNow:yyyy-MM-dd} 00:00+00') TO ('{DateTime.UtcNow.AddDays(1):yyyy-MM-dd} 00:00+00')");

        var writer = new TelemetryWriter(mqtt.Db.DataSource, new IngestOptions { RetentionDays = 400 });
        await writer.DropExpiredPartitionsAsync(NullLogger.Instance, default);

        Assert.Equal(0L, await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'telemetry_20200101'"));
        Assert.Equal(1L, await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = $1", $"telemetry_{today}"));
    }

    [Fact]
    public async Task A_device_is_mapped_to_the_asset_it_measures()
    {
        await mqtt.Db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom) VALUES ('retention_basin', 'RB-TEST', '시험 유수지',
                ST_Buffer(ST_SetSRID(ST_MakePoint(126.85, 37.92), 4326), 0.001)) ON CONFLICT DO NOTHING
            """);
        var add = await PajuCli.RunAsync(["device", "add", "basin-gauge", "--site", "ulgok-ps1", "--asset", "RB-TEST",
            "--db", mqtt.Db.ConnectionString, "--data", TempDirectory.Create("paju-cli-")]);
        Assert.True(add.Succeeded, add.Explanation);
        Assert.Equal("RB-TEST", await mqtt.Db.ScalarAsync<string>(
            "SELECT a.code FROM device d JOIN asset a ON a.id = d.asset_id WHERE d.device_id = 'basin-gauge'"));

        var unknown = await PajuCli.RunAsync(["device", "add", "lost-gauge", "--site", "ulgok-ps1", "--asset", "NOPE",
            "--db", mqtt.Db.ConnectionString, "--data", TempDirectory.Create("paju-cli-")]);
        Assert.False(unknown.Succeeded);
        Assert.Contains("NOPE", unknown.StandardError);
    }

    [Fact]
    public async Task Device_commands_add_rotate_and_disable_change_who_may_connect()
    {
        var add = await PajuCli.RunAsync(["device", "add", "cli-gauge", "--site", "ulgok-ps1", "--db", mqtt.Db.ConnectionString, "--data", TempDirectory.Create("paju-cli-")]);
        Assert.True(add.Succeeded, add.Explanation);
        var secret = add.StandardOutput.Trim();
        (await MqttDevice.ConnectAsync(mqtt.Port, "ulgok-ps1", "cli-gauge", secret)).Vanish();
        Assert.StartsWith("$7$101$", await mqtt.Db.ScalarAsync<string>("SELECT secret_hash FROM device WHERE device_id = 'cli-gauge'"));

        var rotate = await PajuCli.RunAsync(["device", "rotate", "cli-gauge", "--db", mqtt.Db.ConnectionString, "--data", TempDirectory.Create("paju-cli-")]);
        Assert.True(rotate.Succeeded, rotate.Explanation);
        var rotated = rotate.StandardOutput.Trim();
        await mqtt.Server.Services.GetRequiredService<Paju.Field.Server.Devices.DeviceDirectory>().ReloadAsync(default);
        await Assert.ThrowsAsync<MqttConnectionRefused>(() => MqttDevice.ConnectAsync(mqtt.Port, "ulgok-ps1", "cli-gauge", secret));
        (await MqttDevice.ConnectAsync(mqtt.Port, "ulgok-ps1", "cli-gauge", rotated)).Vanish();

        var disable = await PajuCli.RunAsync(["device", "disable", "cli-gauge", "--db", mqtt.Db.ConnectionString, "--data", TempDirectory.Create("paju-cli-")]);
        Assert.True(disable.Succeeded, disable.Explanation);
        await mqtt.Server.Services.GetRequiredService<Paju.Field.Server.Devices.DeviceDirectory>().ReloadAsync(default);
        await Assert.ThrowsAsync<MqttConnectionRefused>(() => MqttDevice.ConnectAsync(mqtt.Port, "ulgok-ps1", "cli-gauge", rotated));
        Assert.Equal(3L, await mqtt.Db.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE entity_id = 'cli-gauge' AND action IN ('device.add', 'device.rotate', 'device.disable')"));
    }
}
