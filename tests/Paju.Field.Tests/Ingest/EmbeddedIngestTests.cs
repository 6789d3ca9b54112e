using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Database;
using Paju.Field.Server.Ingest;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>Telemetry through the embedded MQTTnet broker: stored once, acknowledged after commit, bad input dead-lettered.</summary>
public sealed class EmbeddedIngestTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    private Task<long> RowsAsync(string device, long boot) => mqtt.Db.ScalarAsync<long>(
        "SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1 AND t.boot = $2", device, boot);

    /// <summary>
    /// Another transaction stores a reading's own key and holds it uncommitted: the reading's insert waits for it (the
    /// key's uniqueness check), so neither it nor its batch can commit meanwhile. Rolled back, the reading stores.
    /// </summary>
    private async Task<Npgsql.NpgsqlTransaction> HoldKeyAsync(Npgsql.NpgsqlConnection conn, string device, TelemetryReading reading)
    {
        var holder = await conn.BeginTransactionAsync();
        await using var hold = new Npgsql.NpgsqlCommand("""
            INSERT INTO telemetry (device, boot, seq, ts, received_at, historical, metrics)
            SELECT id, $2, $3, $4, now(), false, '{}' FROM device WHERE device_id = $1
            """, conn, holder);
        hold.Parameters.AddWithValue(device);
        hold.Parameters.AddWithValue(reading.Boot);
        hold.Parameters.AddWithValue(reading.Seq);
        // As the reading goes on the wire: to the millisecond.
        hold.Parameters.AddWithValue(DateTimeOffset.FromUnixTimeMilliseconds(reading.Timestamp.ToUnixTimeMilliseconds()));
        Assert.Equal(1, await hold.ExecuteNonQueryAsync());
        return holder;
    }

    private Task<long> DeadLettersAsync(string reason) => mqtt.Db.ScalarAsync<long>(
        "SELECT count(*) FROM dead_letter WHERE reason_code = $1", reason);

    [Fact]
    public async Task A_publish_is_stored_before_its_PUBACK_returns()
    {
        await using var device = await mqtt.ConnectAsync();
        device.Boot = 1001;
        var reading = device.Reading();

        var ack = await device.PublishAsync(reading);

        Assert.True(ack.IsSuccess, ack.ReasonCode.ToString());
        // No waiting: the PUBACK came after the commit.
        Assert.Equal(1L, await RowsAsync(EmbeddedBrokerFixture.Device, 1001));
        // The newest value follows the commit.
        await mqtt.NewestValuesWrittenAsync();
        Assert.Equal(2.5, await mqtt.Db.ScalarAsync<double>("""
            SELECT (value #>> '{}')::float8 FROM latest_metric l JOIN device d ON d.id = l.device
            WHERE d.device_id = $1 AND metric = 'basin_level_m'
            """, EmbeddedBrokerFixture.Device));
        Assert.Equal(reading.Timestamp.ToUnixTimeMilliseconds(), new DateTimeOffset(await mqtt.Db.ScalarAsync<DateTime>(
            "SELECT ts FROM telemetry WHERE boot = 1001")).ToUnixTimeMilliseconds());
        Assert.True(await mqtt.Db.ScalarAsync<bool>("SELECT received_at >= ts - interval '5 seconds' FROM telemetry WHERE boot = 1001"));
    }

    [Fact]
    public async Task A_redelivered_message_is_stored_once()
    {
        await using var device = await mqtt.ConnectAsync();
        device.Boot = 1002;
        var reading = device.Reading();

        Assert.True((await device.PublishAsync(reading)).IsSuccess);
        Assert.True((await device.PublishAsync(reading)).IsSuccess);   // the same (device, boot, seq): a QoS 1 resend
        Assert.True((await device.PublishAsync(reading with { Historical = true })).IsSuccess);

        Assert.Equal(1L, await RowsAsync(EmbeddedBrokerFixture.Device, 1002));
    }

    [Fact]
    public async Task A_device_s_next_publishes_are_read_while_the_first_waits_for_its_commit_and_acknowledged_in_order()
    {
        await using var device = await mqtt.ConnectNewDeviceAsync("ulgok-ps1-pipelined");
        device.Boot = 1011;
        Assert.True((await device.PublishAsync(device.Reading())).IsSuccess);

        // Another transaction holds the first reading's key, so it cannot commit meanwhile, nor can the readings behind it.
        var readings = Enumerable.Range(0, 3).Select(_ => device.Reading()).ToArray();
        await using var conn = await mqtt.Db.DataSource.OpenConnectionAsync();
        await using var holder = await HoldKeyAsync(conn, "ulgok-ps1-pipelined", readings[0]);
        var publishes = readings.Select(device.PublishAsync).ToArray();

        // All three reach the ingest while the first cannot commit: the broker did not wait for it before reading the next.
        using var http = mqtt.Server.CreateClient();
        async Task<long> WaitingAsync() => (await http.GetFromJsonAsync<JsonElement>("/health")).GetProperty("broker").GetProperty("waiting").GetInt64();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await WaitingAsync() is var waiting && waiting < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {waiting} of the device's 3 publishes reached the ingest while the first waited for its commit");
            await Task.Delay(50);
        }
        Assert.All(publishes, p => Assert.False(p.IsCompleted, "a publish was acknowledged before it could commit"));

        await holder.RollbackAsync();
        var answers = await Task.WhenAll(publishes);
        while (await WaitingAsync() is var left && left > 0)
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(60), $"{left} messages still counted as waiting after every commit");
            await Task.Delay(50);
        }

        Assert.All(answers, a => Assert.True(a.IsSuccess, a.ReasonCode.ToString()));
        Assert.Equal(4L, await RowsAsync("ulgok-ps1-pipelined", 1011));
        // The PUBACKs came in the order the publishes went out [MQTT-4.6.0-2].
        var wire = device.Wire;
        var sent = wire.Where(p => p is { Sent: true, Type: 3 }).Select(p => p.Id).TakeLast(3).ToList();
        var acknowledged = wire.Where(p => p is { Sent: false, Type: 4 }).Select(p => p.Id).TakeLast(3).ToList();
        Assert.Equal(3, sent.Distinct().Count());
        Assert.Equal(sent, acknowledged);
    }

    [Fact]
    public async Task A_device_whose_rows_are_held_stops_only_its_own_share_of_the_devices()
    {
        // Two devices in different lanes (the default writes two batches at once, each for its own share of the devices).
        var lanes = mqtt.Server.Services.GetRequiredService<IngestOptions>().ConcurrentBatches;
        Assert.True(lanes >= 2);
        var candidates = Enumerable.Range(1, 20).Select(i => $"ulgok-ps1-lane-{i}").ToList();
        var held = candidates[0];
        var free = candidates.First(c => IngestPipeline.LaneOf(c, lanes) != IngestPipeline.LaneOf(held, lanes));
        await using var heldDevice = await mqtt.ConnectNewDeviceAsync(held);
        await using var freeDevice = await mqtt.ConnectNewDeviceAsync(free);
        heldDevice.Boot = freeDevice.Boot = 1012;
        Assert.True((await heldDevice.PublishAsync(heldDevice.Reading())).IsSuccess);

        var firstReading = heldDevice.Reading();
        await using var conn = await mqtt.Db.DataSource.OpenConnectionAsync();
        await using var holder = await HoldKeyAsync(conn, held, firstReading);
        // The held device's first message is in a batch that waits for its key; then a second one arrives. Were the
        // devices not divided, that second one would go to the other batch slot and wait there, and with both slots
        // waiting nothing from any device could be stored.
        var first = heldDevice.PublishAsync(firstReading);
        await UntilABatchWaitsForALockAsync("the held device's batch never waited for its reading's key");
        var second = heldDevice.PublishAsync(heldDevice.Reading());

        for (var i = 0; i < 5; i++)
        {
            var ack = await freeDevice.PublishAsync(freeDevice.Reading()).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(ack.IsSuccess, ack.ReasonCode.ToString());
        }
        Assert.Equal(5L, await RowsAsync(free, 1012));
        Assert.False(first.IsCompleted || second.IsCompleted, "a message was acknowledged while its key was held");

        await holder.RollbackAsync();
        Assert.All(await Task.WhenAll(first, second), a => Assert.True(a.IsSuccess, a.ReasonCode.ToString()));
        Assert.Equal(3L, await RowsAsync(held, 1012));
    }

    [Theory]
    [InlineData("ulgok-ps1-first-newer", -1, 3.0)]   // the other transaction's value is older: the reading's replaces it
    [InlineData("ulgok-ps1-first-older", 1, 1.0)]    // the other transaction's value is newer: it stays
    public async Task A_first_value_another_batch_adds_at_the_same_moment_gives_way_only_to_a_newer_reading(string name, int otherMinutes, double kept)
    {
        await using var device = await mqtt.ConnectNewDeviceAsync(name);
        device.Boot = 1014;
        var now = DateTimeOffset.UtcNow;

        // Another transaction adds the device's first value of a metric and has not committed: the newest values' writer
        // cannot see it, and its insert of the same (device, metric) waits for it.
        await using var conn = await mqtt.Db.DataSource.OpenConnectionAsync();
        await using var other = await conn.BeginTransactionAsync();
        await using (var add = new Npgsql.NpgsqlCommand("""
            INSERT INTO latest_metric (device, metric, value, ts, received_at, boot, seq, historical)
            SELECT id, 'tank_level_m', '1.0', $2, now(), 1014, 999, false FROM device WHERE device_id = $1
            """, conn, other))
        {
            add.Parameters.AddWithValue(name);
            add.Parameters.AddWithValue(now.AddMinutes(otherMinutes));
            Assert.Equal(1, await add.ExecuteNonQueryAsync());
        }
        var publish = device.PublishAsync(device.Reading(now, numbers: new() { ["tank_level_m"] = 3.0 }));
        await UntilABatchWaitsForALockAsync("the newest values' write never waited for the other transaction's row");
        await other.CommitAsync();

        Assert.True((await publish).IsSuccess);
        await mqtt.NewestValuesWrittenAsync();
        Assert.Equal(kept, await mqtt.Db.ScalarAsync<double>("""
            SELECT (value #>> '{}')::float8 FROM latest_metric l JOIN device d ON d.id = l.device
            WHERE d.device_id = $1 AND metric = 'tank_level_m'
            """, name));
        // The live feed tells of the reading's value only when it became the newest.
        var told = await mqtt.Db.ScalarAsync<long>("""
            SELECT count(*) FROM live_event e, json_array_elements(e.payload -> 'devices') d
            WHERE e.type = 'state' AND d ->> 'device' = $1 AND d -> 'metrics' ->> 'tank_level_m' IS NOT NULL
            """, name);
        Assert.Equal(kept == 3.0 ? 1L : 0L, told);
    }

    /// <summary>Returns once a session of the test database waits on a row lock; fails after a minute with the reason given.</summary>
    private async Task UntilABatchWaitsForALockAsync(string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Latest_state_changes_only_for_a_newer_reading()
    {
        await using var device = await mqtt.ConnectAsync();
        device.Boot = 1003;
        var now = DateTimeOffset.UtcNow;
        await device.PublishAsync(device.Reading(now, numbers: new() { ["tank_level_m"] = 3.0 }));
        await device.PublishAsync(device.Reading(now.AddMinutes(-10), historical: true, numbers: new() { ["tank_level_m"] = 1.0 }));
        await mqtt.NewestValuesWrittenAsync();

        Assert.Equal(3.0, await mqtt.Db.ScalarAsync<double>("""
            SELECT (value #>> '{}')::float8 FROM latest_metric l JOIN device d ON d.id = l.device
            WHERE d.device_id = $1 AND metric = 'tank_level_m'
            """, EmbeddedBrokerFixture.Device));
        Assert.Equal(2L, await RowsAsync(EmbeddedBrokerFixture.Device, 1003));   // both kept in the history
    }

    [Theory]
    [InlineData("malformed_json", "{\"v\":1,\"device\":")]
    [InlineData("wrong_type", "{\"v\":1,\"device\":\"ulgok-ps1-plc\",\"boot\":\"one\",\"seq\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"metrics\":{\"basin_level_m\":1}}")]
    [InlineData("wrong_type", "{\"v\":1,\"device\":\"ulgok-ps1-plc\",\"boot\":1,\"seq\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"metrics\":{\"basin_level_m\":\"high\"}}")]
    [InlineData("unknown_metric", "{\"v\":1,\"device\":\"ulgok-ps1-plc\",\"boot\":1,\"seq\":1,\"ts\":\"NOW\",\"metrics\":{\"basin_level\":1}}")]
    [InlineData("out_of_range", "{\"v\":1,\"device\":\"ulgok-ps1-plc\",\"boot\":1,\"seq\":2,\"ts\":\"NOW\",\"metrics\":{\"basin_level_m\":4200}}")]
    [InlineData("out_of_range", "{\"v\":1,\"device\":\"ulgok-ps1-plc\",\"boot\":1,\"seq\":3,\"ts\":\"NOW\",\"metrics\":{\"pump1_current_a\":-5}}")]
    [InlineData("device_mismatch", "{\"v\":1,\"device\":\"someone-else\",\"boot\":1,\"seq\":4,\"ts\":\"NOW\",\"metrics\":{\"basin_level_m\":1}}")]
    [InlineData("timestamp_out_of_bounds", "{\"v\":1,\"device\":\"ulgok-ps1-plc\",\"boot\":1,\"seq\":5,\"ts\":\"2099-01-01T00:00:00Z\",\"metrics\":{\"basin_level_m\":1}}")]
    [InlineData("timestamp_out_of_bounds", "{\"v\":1,\"device\":\"ulgok-ps1-plc\",\"boot\":1,\"seq\":6,\"ts\":\"2001-01-01T00:00:00Z\",\"metrics\":{\"basin_level_m\":1}}")]
    public async Task Bad_payloads_are_dead_lettered_with_their_reason_and_raw_bytes(string reason, string payload)
    {
        var deviceId = $"bad-{reason.Replace('_', '-')}-{(uint)payload.GetHashCode():x8}";
        payload = payload.Replace("NOW", DateTimeOffset.UtcNow.ToString("O")).Replace(EmbeddedBrokerFixture.Device, deviceId);
        await using var device = await mqtt.ConnectNewDeviceAsync(deviceId);
        var before = await DeadLettersAsync(reason);

        var ack = await device.PublishRawAsync(TelemetryTopic.For(EmbeddedBrokerFixture.Site, deviceId, "telemetry"), payload);

        Assert.False(ack.IsSuccess);   // MQTT 5 tells the device why; the message is kept, not lost
        Assert.Equal(before + 1, await DeadLettersAsync(reason));
        Assert.Equal(payload, await mqtt.Db.ScalarAsync<string>(
            "SELECT convert_from(payload, 'UTF8') FROM dead_letter WHERE reason_code = $1 ORDER BY id DESC LIMIT 1", reason));
        // The connection survives: the next good message goes through.
        device.Boot = 1004;
        Assert.True((await device.PublishAsync(device.Reading())).IsSuccess);
    }

    [Fact]
    public async Task A_topic_the_credentials_do_not_allow_is_dead_lettered_and_not_stored()
    {
        await using var device = await mqtt.ConnectAsync();
        var before = await DeadLettersAsync("topic_not_allowed");
        var foreign = new TelemetryReading(EmbeddedBrokerFixture.OtherDevice, 1005, 0, DateTimeOffset.UtcNow, false,
            new Dictionary<string, double> { ["basin_level_m"] = 9 }, new Dictionary<string, bool>());

        var ack = await device.PublishRawAsync(TelemetryTopic.For(EmbeddedBrokerFixture.OtherSite, EmbeddedBrokerFixture.OtherDevice, "telemetry"), foreign.ToJson());

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
        Assert.Equal(before + 1, await DeadLettersAsync("topic_not_allowed"));
        Assert.Equal(0L, await RowsAsync(EmbeddedBrokerFixture.OtherDevice, 1005));
    }

    [Fact]
    public async Task Anonymous_wrong_password_and_borrowed_client_ids_are_refused()
    {
        var anonymous = await Assert.ThrowsAsync<MqttConnectionRefused>(() => MqttDevice.ConnectAsync(mqtt.Port, "x", "", "", clientId: "anonymous-client"));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, anonymous.Code);
        var wrong = await Assert.ThrowsAsync<MqttConnectionRefused>(() =>
            MqttDevice.ConnectAsync(mqtt.Port, EmbeddedBrokerFixture.Site, EmbeddedBrokerFixture.Device, "not-the-secret"));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong.Code);
        var borrowed = await Assert.ThrowsAsync<MqttConnectionRefused>(() =>
            MqttDevice.ConnectAsync(mqtt.Port, EmbeddedBrokerFixture.Site, EmbeddedBrokerFixture.Device, mqtt.Secret, clientId: "not-me"));
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, borrowed.Code);
    }

    [Fact]
    public async Task Status_birth_and_last_will_mark_the_device_online_and_offline()
    {
        var device = await MqttDevice.ConnectAsync(mqtt.Port, EmbeddedBrokerFixture.OtherSite, EmbeddedBrokerFixture.OtherDevice, mqtt.OtherSecret);
        await device.PublishRawAsync(TelemetryTopic.For(EmbeddedBrokerFixture.OtherSite, EmbeddedBrokerFixture.OtherDevice, "status"),
            new DeviceStatus(EmbeddedBrokerFixture.OtherDevice, true, 77).ToJson(), retain: true);
        Assert.True(await mqtt.Db.ScalarAsync<bool>("SELECT online FROM device WHERE device_id = $1", EmbeddedBrokerFixture.OtherDevice));

        device.Vanish();   // no DISCONNECT: the broker publishes the Last Will

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await mqtt.Db.ScalarAsync<bool>("SELECT online FROM device WHERE device_id = $1", EmbeddedBrokerFixture.OtherDevice))
        {
            Assert.True(DateTime.UtcNow < deadline, "the Last Will never marked the device offline");
            await Task.Delay(100);
        }
        Assert.Equal(77L, await mqtt.Db.ScalarAsync<long>("SELECT last_boot FROM device WHERE device_id = $1", EmbeddedBrokerFixture.OtherDevice));
        // Both changes went to the live feed as device.status, in order: online, then offline.
        var changes = await mqtt.Db.ScalarAsync<bool[]>("""
            SELECT array_agg((payload->>'online')::boolean ORDER BY id) FROM live_event WHERE type = 'device.status' AND payload->>'device' = $1
            """, EmbeddedBrokerFixture.OtherDevice);
        Assert.Equal([true, false], changes.TakeLast(2));
    }

    [Fact]
    public async Task Health_reports_the_embedded_broker_and_what_was_stored()
    {
        await using (var device = await mqtt.ConnectAsync())
        {
            device.Boot = 1008;
            await device.PublishAsync(device.Reading());
        }
        using var client = mqtt.Server.CreateClient();
        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        var broker = health.GetProperty("broker");
        Assert.Equal("ok", broker.GetProperty("status").GetString());
        Assert.Equal("embedded", broker.GetProperty("mode").GetString());
        Assert.True(broker.GetProperty("stored").GetInt64() >= 1);
    }

    [Fact]
    public async Task An_MQTT_3_1_1_device_works_too()
    {
        await using var device = await mqtt.ConnectAsync(MqttProtocolVersion.V311);
        device.Boot = 1006;
        Assert.True((await device.PublishAsync(device.Reading())).IsSuccess);
        Assert.Equal(1L, await RowsAsync(EmbeddedBrokerFixture.Device, 1006));
    }

    [Fact]
    public async Task Mosquitto_pub_is_a_device_too()
    {
        var mosquittoPub = Requires.Tool("mosquitto_pub", "apt-get install mosquitto-clients");
        var reading = new TelemetryReading(EmbeddedBrokerFixture.Device, 1007, 0, DateTimeOffset.UtcNow, false,
            new Dictionary<string, double> { ["rain_mm_per_h"] = 35.5 }, new Dictionary<string, bool>());

        var result = await ProcessRunner.RunAsync(mosquittoPub,
        [
            "-h", "127.0.0.1", "-p", mqtt.Port.ToString(), "-V", "mqttv5", "-q", "1",
            "-i", EmbeddedBrokerFixture.Device, "-u", EmbeddedBrokerFixture.Device, "-P", mqtt.Secret,
            "-t", TelemetryTopic.For(EmbeddedBrokerFixture.Site, EmbeddedBrokerFixture.Device, "telemetry"), "-m", reading.ToJson(),
        ]);

        Assert.True(result.Succeeded, result.Explanation);
        Assert.Equal(1L, await RowsAsync(EmbeddedBrokerFixture.Device, 1007));
    }

    [Fact]
    public async Task Operators_list_dead_letters_over_the_API_and_others_may_not()
    {
        await using var device = await mqtt.ConnectAsync();
        await device.PublishRawAsync(TelemetryTopic.For(EmbeddedBrokerFixture.Site, EmbeddedBrokerFixture.Device, "telemetry"), "not json at all");
        await using (var conn = await mqtt.Db.DataSource.OpenConnectionAsync())
        {
            if (await UserStore.FindAsync(conn, null, "operator.park", default) is null)
            {
                await UserStore.CreateAsync(conn, null, "operator.park", "박운영", Roles.Operator, "operator-password-1", default);
                await UserStore.CreateAsync(conn, null, "viewer.choi", "최열람", Roles.Viewer, "viewer-password-1", default);
            }
        }
        using var client = mqtt.Server.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/dead-letters")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, "viewer.choi", "viewer-password-1"));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/dead-letters")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, "operator.park", "operator-password-1"));

        var letters = await client.GetFromJsonAsync<JsonElement>("/api/dead-letters?reason=malformed_json");
        var newest = letters[0];
        Assert.Equal("malformed_json", newest.GetProperty("reasonCode").GetString());
        Assert.Equal("not json at all", newest.GetProperty("payloadText").GetString());
        Assert.Equal(EmbeddedBrokerFixture.Device, newest.GetProperty("username").GetString());
        Assert.Contains("not JSON", newest.GetProperty("reason").GetString());
        var counts = await client.GetFromJsonAsync<Dictionary<string, long>>("/api/dead-letters/counts");
        Assert.True(counts!["malformed_json"] >= 1);
    }

    private static async Task<string> TokenAsync(HttpClient client, string username, string password)
    {
        var response = await client.PostAsJsonAsync("/api/auth/token", new { username, password });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }
}
