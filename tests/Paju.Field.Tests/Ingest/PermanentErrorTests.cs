using Paju.Field.Server.Ingest;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>
/// A message that parses but that PostgreSQL refuses for good is found within its batch and dead-lettered
/// with the database's words; the rest of the batch is stored and acknowledged, nothing retries forever.
/// </summary>
public sealed class PermanentErrorTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    [Fact]
    public async Task The_refused_message_is_split_out_and_the_rest_of_its_batch_stored()
    {
        // A rule the contract does not know: this database refuses sequence number 666.
        await mqtt.Db.ExecuteAsync("ALTER TABLE telemetry ADD CONSTRAINT test_refuses_666 CHECK (seq <> 666)");
        const string device = EmbeddedBrokerFixture.Device;
        const long boot = 9_000;
        var topic = TelemetryTopic.For(EmbeddedBrokerFixture.Site, device, TelemetryTopic.Telemetry);
        var now = DateTimeOffset.UtcNow;
        var messages = Enumerable.Range(600, 100).Select(seq => new IncomingMessage(topic,
            System.Text.Encoding.UTF8.GetBytes(new TelemetryReading(device, boot, seq, now.AddMilliseconds(seq), false,
                new Dictionary<string, double> { ["basin_level_m"] = 1.5 }, new Dictionary<string, bool>()).ToJson()).ToArray(),
            now, device, device)).ToList();

        // Submitted together, they are gathered into one batch (or very few): the refusal must not take the others with it.
        var outcomes = await Task.WhenAll(messages.Select(m => mqtt.Pipeline.SubmitAsync(m, default)));

        Assert.Equal(IngestOutcome.DeadLettered, outcomes[66]);
        Assert.All(outcomes.Where((_, i) => i != 66), o => Assert.Equal(IngestOutcome.Stored, o));
        Assert.Equal(99L, await mqtt.Db.ScalarAsync<long>(
            "SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1 AND t.boot = $2", device, boot));
        var reason = await mqtt.Db.ScalarAsync<string>(
            "SELECT reason FROM dead_letter WHERE reason_code = 'database_refused' AND convert_from(payload, 'UTF8') LIKE '%\"seq\":666,%'");
        Assert.Contains("23514", reason);
        Assert.Contains("test_refuses_666", reason);

        // And ingest goes on.
        await using var gauge = await mqtt.ConnectNewDeviceAsync("after-refusal");
        Assert.True((await gauge.PublishAsync(gauge.Reading())).IsSuccess);
    }
}
