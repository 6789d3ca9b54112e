using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Paju.Field.Server.Devices;
using Paju.Field.Server.Ingest;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>
/// latest_metric and the live feed's state events follow the committed readings: merged between writes, a refused
/// device narrowed down without holding up the others, and what a crash left unwritten found again at the next start.
/// </summary>
public sealed class NewestValuesWriterTests(EmbeddedBrokerFixture mqtt) : IClassFixture<EmbeddedBrokerFixture>
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddMinutes(-30);

    private NewestValuesWriter Writer(int intervalMilliseconds = 250, TimeProvider? clock = null) =>
        new(mqtt.Db.DataSource, new IngestOptions { NewestValuesIntervalMilliseconds = intervalMilliseconds }, NullLogger.Instance, clock);

    private async Task<Device> DeviceAsync(string id) => (await TestDevices.AddAsync(mqtt.Db.DataSource, id, EmbeddedBrokerFixture.Site)).Device;

    private static Classified.Reading Reading(Device device, long seq, double level, int seconds = 0)
    {
        var value = new TelemetryReading(device.DeviceId, 1, seq, Start.AddSeconds(seconds == 0 ? seq : seconds), false,
            new Dictionary<string, double> { ["basin_level_m"] = level }, new Dictionary<string, bool>());
        var message = new IncomingMessage(TelemetryTopic.For(device.Site, device.DeviceId, TelemetryTopic.Telemetry),
            System.Text.Encoding.UTF8.GetBytes(value.ToJson()), DateTimeOffset.UtcNow, device.DeviceId, device.DeviceId);
        return new Classified.Reading(message, device, value);
    }

    private Task<double> LevelAsync(string device) => mqtt.Db.ScalarAsync<double>("""
        SELECT (l.value #>> '{}')::float8 FROM latest_metric l JOIN device d ON d.id = l.device
        WHERE d.device_id = $1 AND l.metric = 'basin_level_m'
        """, device);

    /// <summary>The basin levels the live feed told of the device, event by event.</summary>
    private async Task<List<double>> ToldAsync(string device)
    {
        var told = await mqtt.Db.ScalarAsync<double[]>("""
            SELECT coalesce(array_agg((d -> 'metrics' ->> 'basin_level_m')::float8 ORDER BY e.id), '{}')
            FROM live_event e, json_array_elements(e.payload -> 'devices') d
            WHERE e.type = 'state' AND d ->> 'device' = $1 AND d -> 'metrics' ->> 'basin_level_m' IS NOT NULL
            """, device);
        return [.. told];
    }

    /// <summary>A writer running its loop as ingest runs it; stopped when disposed.</summary>
    private sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Running(NewestValuesWriter writer)
        {
            Writer = writer;
            _loop = writer.RunAsync(_stop.Token);
        }

        public NewestValuesWriter Writer { get; }

        /// <summary>Follows the readings, as after their commit, and waits until their values are written.</summary>
        public async Task WriteAsync(params Classified.Reading[] readings)
        {
            Writer.Follow(readings);
            await Writer.WrittenAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop.WaitAsync(TimeSpan.FromSeconds(60));
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task Readings_committed_between_two_writes_are_merged_into_one_write_of_the_newest()
    {
        var device = await DeviceAsync("ulgok-ps1-merged");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var running = new Running(Writer(intervalMilliseconds: 250, clock));
        var writer = running.Writer;

        // After a quiet spell the first is written at once.
        await running.WriteAsync(Reading(device, 1, 1.0));
        Assert.Equal(1.0, await LevelAsync(device.DeviceId));

        // Three more before the interval is up (the clock stands still), the newest in the middle: they wait…
        writer.Follow([Reading(device, 2, 2.0)]);
        writer.Follow([Reading(device, 4, 4.0), Reading(device, 3, 3.0)]);
        var written = writer.WrittenAsync();
        await Task.Delay(500);
        Assert.False(written.IsCompleted, "written before the interval was up");
        Assert.Equal(3L, writer.Waiting);
        Assert.Equal(1.0, await LevelAsync(device.DeviceId));

        // …and go in one write, of the newest only, once it is.
        clock.Advance(TimeSpan.FromMilliseconds(250));
        await written.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0L, writer.Waiting);
        Assert.Equal(4.0, await LevelAsync(device.DeviceId));
        Assert.Equal([1.0, 4.0], await ToldAsync(device.DeviceId));
    }

    [Fact]
    public async Task What_is_waiting_when_ingest_stops_is_written_on_the_way_out()
    {
        var device = await DeviceAsync("ulgok-ps1-stopping");
        await using var running = new Running(Writer(intervalMilliseconds: 250, new FakeTimeProvider(DateTimeOffset.UtcNow)));
        await running.WriteAsync(Reading(device, 1, 1.0));
        running.Writer.Follow([Reading(device, 2, 2.0)]);   // waits for an interval the stopped clock never ends

        await running.StopAsync();
        Assert.Equal(1L, running.Writer.Waiting);
        await running.Writer.WriteRestAsync();
        Assert.Equal(0L, running.Writer.Waiting);
        Assert.Equal(2.0, await LevelAsync(device.DeviceId));
    }

    [Fact]
    public async Task A_device_the_database_refuses_is_narrowed_down_and_the_others_are_written()
    {
        var device = await DeviceAsync("ulgok-ps1-beside-refused");
        // No such device row: latest_metric's foreign key refuses its value for good.
        var unknown = device with { Id = int.MaxValue, DeviceId = "ulgok-ps1-unregistered" };
        await using var running = new Running(Writer());

        await running.WriteAsync(Reading(unknown, 1, 9.0), Reading(device, 1, 1.5));
        Assert.Equal(1.5, await LevelAsync(device.DeviceId));
        Assert.Equal([1.5], await ToldAsync(device.DeviceId));

        // The loop goes on.
        await running.WriteAsync(Reading(device, 2, 2.5));
        Assert.Equal(2.5, await LevelAsync(device.DeviceId));
    }

    [Fact]
    public async Task A_redelivered_reading_brings_back_a_newest_value_a_crash_left_unwritten()
    {
        const string name = "ulgok-ps1-redelivered";
        await using var device = await mqtt.ConnectNewDeviceAsync(name);
        var pipeline = mqtt.Server.Services.GetRequiredService<IngestPipeline>();
        var reading = device.Reading(numbers: new() { ["basin_level_m"] = 2.25 });
        Assert.True((await device.PublishAsync(reading)).IsSuccess);
        await mqtt.NewestValuesWrittenAsync();
        // The reading stored, its newest value lost: a crash between the two.
        await mqtt.Db.ExecuteAsync("DELETE FROM latest_metric l USING device d WHERE d.id = l.device AND d.device_id = $1", name);

        var duplicates = pipeline.Duplicates;
        Assert.True((await device.PublishAsync(reading)).IsSuccess);   // the same (boot, seq): the device had no PUBACK
        Assert.Equal(duplicates + 1, pipeline.Duplicates);
        await mqtt.NewestValuesWrittenAsync();
        Assert.Equal(2.25, await LevelAsync(name));
    }

    [Fact]
    public async Task Newest_values_a_crash_left_unwritten_are_caught_up_from_the_stored_readings()
    {
        var device = await DeviceAsync("ulgok-ps1-crashed");
        async Task StoreAsync(long seq, int seconds, string metrics) =>
            await mqtt.Db.ExecuteAsync("""
                INSERT INTO telemetry (device, boot, seq, ts, received_at, historical, metrics)
                VALUES ($1, 1, $2, $3, now(), $4, $5::jsonb)
                """, device.Id, seq, Start.AddSeconds(seconds), seconds < 0, metrics);
        Task<string> ValueAsync(string metric) => mqtt.Db.ScalarAsync<string>(
            "SELECT coalesce((SELECT value::text FROM latest_metric WHERE device = $1 AND metric = $2), 'none')", device.Id, metric);

        foreach (var day in new[] { Start.AddSeconds(-3600), Start.AddSeconds(30) }.Select(t => t.UtcDateTime.Date).Distinct())
        {
            await mqtt.Db.ExecuteAsync($"CREATE TABLE IF NOT EXISTS telemetry_{day:yyyyMMdd} PARTITION OF telemetry " +
                                       $"FOR VALUES FROM ('{day:yyyy-MM-dd} 00:00:00+00') TO ('{day.AddDays(1):yyyy-MM-dd} 00:00:00+00')");
        }
        // Readings stored, their newest values never written: a crash between the two.
        await StoreAsync(1, 10, """{"basin_level_m": 1.0, "pump1_running": true}""");
        await StoreAsync(2, 20, """{"basin_level_m": 2.0}""");
        await StoreAsync(3, -3600, """{"basin_level_m": 0.5, "tank_level_m": 7}""");   // replayed, older

        Assert.True(await Writer().CatchUpAsync(default) >= 3);
        Assert.Equal("2.0", await ValueAsync("basin_level_m"));
        Assert.Equal("true", await ValueAsync("pump1_running"));
        Assert.Equal("7", await ValueAsync("tank_level_m"));
        Assert.Equal([2.0], await ToldAsync(device.DeviceId));

        // Caught up: a second start changes nothing and tells nothing; a newer reading behind it is found.
        Assert.Equal(0L, await Writer().CatchUpAsync(default));
        await StoreAsync(4, 30, """{"basin_level_m": 3.0}""");
        Assert.Equal(1L, await Writer().CatchUpAsync(default));
        Assert.Equal("3.0", await ValueAsync("basin_level_m"));
        Assert.Equal([2.0, 3.0], await ToldAsync(device.DeviceId));
    }
}
