using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Paju.Field.Server.Database;
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

    private IncomingMessage Reading(long boot, long seq)
    {
        const string device = EmbeddedBrokerFixture.Device;
        var now = DateTimeOffset.UtcNow;
        var json = new TelemetryReading(device, boot, seq, now, false, new Dictionary<string, double> { ["basin_level_m"] = 1.25 }, new Dictionary<string, bool>()).ToJson();
        return new(TelemetryTopic.For(EmbeddedBrokerFixture.Site, device, TelemetryTopic.Telemetry), System.Text.Encoding.UTF8.GetBytes(json), now, device, device);
    }

    [Fact]
    public async Task A_prepared_statement_PostgreSQL_no_longer_holds_is_retried_not_dead_lettered()
    {
        const long boot = 9_100;
        Assert.Equal(IngestOutcome.Stored, await mqtt.Pipeline.SubmitAsync(Reading(boot, 1), default));

        // What a pooler in transaction mode or a DISCARD ALL does to the server's pooled connections: the sessions forget
        // their prepared statements while Npgsql still counts on them.
        var pool = mqtt.Server.Services.GetRequiredService<NpgsqlDataSource>();
        var connections = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => pool.OpenConnectionAsync().AsTask()));
        foreach (var conn in connections)
        {
            // Inside a DO block, so that the client does not see the command and keeps believing its statements exist.
            await using var forget = new NpgsqlCommand("DO $$ BEGIN EXECUTE 'DEALLOCATE ALL'; END $$", conn);
            await forget.ExecuteNonQueryAsync();
            await conn.DisposeAsync();
        }
        var deadLetters = await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter");

        Assert.Equal(IngestOutcome.Stored, await mqtt.Pipeline.SubmitAsync(Reading(boot, 2), default));
        Assert.Equal(IngestOutcome.Stored, await mqtt.Pipeline.SubmitAsync(Reading(boot, 3), default));
        Assert.Equal(3L, await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM telemetry WHERE boot = $1", boot));
        Assert.Equal(deadLetters, await mqtt.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter"));
    }

    [Fact]
    public async Task A_plan_a_migration_outdated_is_told_apart_from_a_refusal()
    {
        await using var conn = await mqtt.Db.DataSource.OpenConnectionAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE test_outdated (a integer); INSERT INTO test_outdated VALUES (1)", conn))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using var select = new NpgsqlCommand("SELECT * FROM test_outdated", conn);
        await select.PrepareAsync();
        await select.ExecuteScalarAsync();
        await using (var migrate = new NpgsqlCommand("ALTER TABLE test_outdated ADD COLUMN b text", conn))
        {
            await migrate.ExecuteNonQueryAsync();
        }

        var outdated = await Assert.ThrowsAsync<PostgresException>(() => select.ExecuteScalarAsync());
        Assert.True(DatabaseErrors.IsStalePreparedStatement(outdated), DatabaseErrors.Describe(outdated));
        Assert.True(DatabaseErrors.IsTransient(outdated));

        await using var refused = new NpgsqlCommand("INSERT INTO test_outdated (a) VALUES ('x')", conn);
        var data = await Assert.ThrowsAsync<PostgresException>(() => refused.ExecuteNonQueryAsync());
        Assert.False(DatabaseErrors.IsStalePreparedStatement(data));
        Assert.False(DatabaseErrors.IsTransient(data));
    }
}
