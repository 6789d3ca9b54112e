using Microsoft.Extensions.DependencyInjection;
using Paju.Field.Server.Devices;
using Paju.Field.Server.Ingest;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>
/// Readings are inserted as new, the usual case; a batch holding a copy of a stored reading (a redelivery, a replayed
/// queue) or the same reading twice is written again skipping the copies. Either way each reading is stored once, the
/// rest of the batch with it, and the newest values move as they would have.
/// </summary>
public sealed class DuplicateReadingTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    private const long Boot = 9_500;

    private async Task<Classified.Reading[]> ReadingsAsync(params long[] seqs)
    {
        var device = await mqtt.Server.Services.GetRequiredService<DeviceDirectory>().FindAsync(EmbeddedBrokerFixture.Device, default)
                     ?? throw new InvalidOperationException("the fixture's device is not registered");
        var start = new DateTimeOffset(2026, 12, 4, 3, 0, 0, TimeSpan.Zero);
        return [.. seqs.Select(seq =>
        {
            var value = new TelemetryReading(device.DeviceId, Boot, seq, start.AddSeconds(seq), false,
                new Dictionary<string, double> { ["basin_level_m"] = seq / 10.0 }, new Dictionary<string, bool>());
            var message = new IncomingMessage(TelemetryTopic.For(device.Site, device.DeviceId, TelemetryTopic.Telemetry),
                System.Text.Encoding.UTF8.GetBytes(value.ToJson()), DateTimeOffset.UtcNow, device.DeviceId, device.DeviceId);
            return new Classified.Reading(message, device, value);
        })];
    }

    private Task<long> RowsAsync() => mqtt.Db.ScalarAsync<long>(
        "SELECT count(*) FROM telemetry t JOIN device d ON d.id = t.device WHERE d.device_id = $1 AND t.boot = $2", EmbeddedBrokerFixture.Device, Boot);

    private Task<double> NewestLevelAsync() => mqtt.Db.ScalarAsync<double>("""
        SELECT (l.value #>> '{}')::float8 FROM latest_metric l JOIN device d ON d.id = l.device
        WHERE d.device_id = $1 AND l.metric = 'basin_level_m'
        """, EmbeddedBrokerFixture.Device);

    /// <summary>A batch as the pipeline writes it: the readings, then the newest values of those stored or found stored.</summary>
    private async Task<IngestOutcome[]> WriteAsync(TelemetryWriter writer, Classified.Reading[] batch)
    {
        var outcomes = await writer.WriteAsync(batch, default);
        var values = new NewestValues();
        foreach (var r in batch)
        {
            values.Offer(r);
        }
        await new NewestValuesWriter(mqtt.Db.DataSource, new IngestOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .WriteAsync(values, default);
        return outcomes;
    }

    [Fact]
    public async Task A_batch_with_a_stored_reading_or_one_twice_stores_each_once_and_the_rest_with_it()
    {
        var writer = new TelemetryWriter(mqtt.Db.DataSource, new IngestOptions());

        // New readings only: all stored in one statement.
        Assert.All(await WriteAsync(writer, await ReadingsAsync(1, 2, 3)), o => Assert.Equal(IngestOutcome.Stored, o));
        Assert.Equal(3L, await RowsAsync());

        // Seq 2 again beside new ones: the copy is refused by the key, and the batch written again without it.
        var outcomes = await WriteAsync(writer, await ReadingsAsync(4, 2, 5));
        Assert.Equal([IngestOutcome.Stored, IngestOutcome.Duplicate, IngestOutcome.Stored], outcomes);
        Assert.Equal(5L, await RowsAsync());
        Assert.Equal(0.5, await NewestLevelAsync());

        // The same reading twice in one batch, from a writer that has not met a duplicate yet.
        var fresh = new TelemetryWriter(mqtt.Db.DataSource, new IngestOptions());
        outcomes = await WriteAsync(fresh, await ReadingsAsync(7, 6, 7));
        Assert.Equal(IngestOutcome.Stored, outcomes[1]);
        Assert.Equal(1, outcomes.Count(o => o == IngestOutcome.Duplicate));
        Assert.Equal(7L, await RowsAsync());
        Assert.Equal(0.7, await NewestLevelAsync());

        // A replay of older readings only: nothing stored, and the newest values keep the newer reading.
        Assert.All(await WriteAsync(fresh, await ReadingsAsync(1, 3)), o => Assert.Equal(IngestOutcome.Duplicate, o));
        Assert.Equal(0.7, await NewestLevelAsync());
    }
}
