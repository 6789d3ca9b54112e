using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Bridge.Queue;
using Paju.Field.Bridge.Readers;
using Paju.Field.Modbus;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Tags;
using Microsoft.Extensions.Logging.Abstractions;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// A door reader to PostGIS: a simulated PN532 on a socat pty with a plate's NTAG 424 DNA (its SUN URL fresh per tap, made
/// with the server's own keys), the bridge's reader loop and on-disk queue, the server's embedded broker, and the server's
/// verification — SUN verified, the reader's fixed position measured against the playground; the same URL read again is
/// a replay the server refuses.
/// </summary>
public sealed class ReaderEndToEndTests(CheckInFixture f) : IClassFixture<CheckInFixture>
{
    [Fact]
    public async Task A_tap_at_a_door_reader_is_stored_verified_with_its_distance_and_a_copied_URL_is_refused_as_a_replay()
    {
        const string device = "gate-door-nfc";
        var tag = await f.NewSunTagAsync("04A2241A6D5E90", counter: 20);
        var (_, secret) = await TestDevices.AddAsync(f.Db.DataSource, device, CheckInFixture.Site);
        var dir = TempDirectory.Create("paju-door-");
        var settings = new QueueSettings { Directory = dir };
        using var queue = DiskQueue.Open(Path.Combine(dir, device, "broker"), settings, NullLogger.Instance);
        var config = new ReaderConfig
        {
            Name = "door-nfc", Kind = ReaderKind.Pn532, Site = CheckInFixture.Site, Device = device, Secret = secret,
            Serial = new SerialSettings { Port = "", Baud = 115200, Parity = System.IO.Ports.Parity.None },
            Position = new ReaderPosition(CheckInFixture.PlaygroundLat + 0.0001, CheckInFixture.PlaygroundLon, 3),   // about 11 m north
            RepeatSeconds = 1, PollIntervalMs = 100,
        };
        var publisher = new DevicePublisher(device, new BrokerUplink(config.Identity, new MqttSettings { Endpoint = $"127.0.0.1:{f.MqttPort}" }, 31),
            queue, settings, new ListLogger());
        var outlet = new DeviceOutlet(device, 31, [publisher]);
        using var pair = SerialPairs.Start("door-e2e");
        using var chip = new SimulatedPn532(pair.B);
        var urls = new List<string>();
        string? copied = null;
        var plate = new SimulatedPn532.Tag(Convert.FromHexString("04A2241A6D5E90"), true, () =>
        {
            // Fresh on the first tap; a copy of that URL afterwards (a cloned tag replaying what it once said).
            var url = copied ??= tag.Tap();
            urls.Add(url);
            return SimulatedPn532.Type4File(url);
        });
        chip.InField = plate;
        var reader = new Pn532Reader(config with { Serial = config.Serial with { Port = pair.A } }, outlet, new ListLogger());
        using var stop = new CancellationTokenSource();
        var publishing = publisher.RunAsync(stop.Token);
        var thread = new Thread(() => reader.Run(stop.Token)) { IsBackground = true };
        thread.Start();
        try
        {
            async Task WaitRowsAsync(long rows)
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (await f.Db.ScalarAsync<long>("SELECT count(*) FROM checkin c JOIN device d ON d.id = c.device WHERE d.device_id = $1", device) < rows)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"{rows} check-ins did not reach PostGIS");
                    await Task.Delay(100);
                }
            }
            await WaitRowsAsync(1);
            // Held on the reader it stays one check-in; taken away past the repeat window and shown again, it is read anew.
            await Task.Delay(1500);
            chip.InField = null;
            await Task.Delay(1500);
            chip.InField = plate;
            await WaitRowsAsync(2);
            // Everything the reader queued (its check-ins and its health) was acknowledged and left the disk.
            var drained = DateTime.UtcNow.AddSeconds(30);
            while (queue.State().Pending > 0)
            {
                Assert.True(DateTime.UtcNow < drained, $"{queue.State().Pending} records still queued");
                await Task.Delay(100);
            }
        }
        finally
        {
            await stop.CancelAsync();
            thread.Join(TimeSpan.FromSeconds(5));
            await publishing;
        }
        var rows = await f.Db.ScalarAsync<string>("""
            SELECT string_agg(c.seq || ':' || c.proof || '/' || c.status || '/' || round(c.distance_m)::text || '/' || c.reader, ',' ORDER BY c.seq)
            FROM checkin c JOIN device d ON d.id = c.device WHERE d.device_id = $1 AND c.seq < 2
            """, device);
        Assert.Equal("0:sun/verified/11/door-nfc,1:replayed/refused/11/door-nfc", rows);
    }
}
