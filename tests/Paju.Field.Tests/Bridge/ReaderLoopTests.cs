using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Bridge.Queue;
using Paju.Field.Bridge.Readers;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// The fixed readers as the bridge runs them, on real ttys (socat): a serial QR scanner fed scripted lines — good plates,
/// garbage, a barcode that is no plate, an over-long line, a repeat, a line never finished — and a PN532 with a Type 2 tag
/// held on it and then a SUN tag; their check-ins reach a real MQTT broker through the device's queue.
/// </summary>
public sealed class ReaderLoopTests : IAsyncLifetime
{
    private const string Device = "ulgok-ps1-door";
    private readonly string _dir = TempDirectory.Create("paju-readers-");
    private readonly int _port = MqttDevice.FreePort();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private DiskQueue _queue = null!;
    private ObservedBroker _broker = null!;
    private DeviceOutlet _outlet = null!;

    public async ValueTask InitializeAsync()
    {
        var settings = new QueueSettings { Directory = _dir };
        _queue = DiskQueue.Open(Path.Combine(_dir, Device, "broker"), settings, NullLogger.Instance);
        var identity = new SlaveConfig { Id = 0, Model = "reader", Site = "ulgok-ps1", Device = Device, Secret = "x" };
        var publisher = new DevicePublisher(Device, new BrokerUplink(identity, new MqttSettings { Endpoint = $"127.0.0.1:{_port}" }, 11), _queue, settings, new ListLogger());
        _outlet = new DeviceOutlet(Device, 11, [publisher]);
        _broker = await ObservedBroker.StartAsync(_port, Device);
        _running.Add(publisher.RunAsync(_stop.Token));
    }

    private static ReaderConfig Config(ReaderKind kind, string port) => new()
    {
        Name = kind == ReaderKind.Pn532 ? "door-nfc" : "office-qr", Kind = kind, Site = "ulgok-ps1", Device = Device, Secret = "x",
        Serial = new SerialSettings { Port = port, Baud = kind == ReaderKind.Pn532 ? 115200 : 9600, Parity = System.IO.Ports.Parity.None },
        Position = new ReaderPosition(37.9146, 126.8555), RepeatSeconds = 30, MaxLength = 128, PollIntervalMs = 100, StateSeconds = 1,
    };

    private void Start(FixedReader reader)
    {
        var thread = new Thread(() => reader.Run(_stop.Token)) { IsBackground = true };
        thread.Start();
        _running.Add(Task.Run(() => thread.Join()));
    }

    private Task<List<CheckIn>> ArrivedAsync(int count) => _broker.CheckInsAsync(count);

    [Fact]
    public async Task A_serial_QR_scanner_checks_in_whole_plate_lines_once_and_counts_everything_else()
    {
        using var pair = SerialPairs.Start("scanner");
        var reader = new LineScannerReader(Config(ReaderKind.LineScanner, pair.A), _outlet, new ListLogger());
        Start(reader);
        using var scanner = new SerialLine(new SerialSettings { Port = pair.B, Baud = 9600, Parity = System.IO.Ports.Parity.None });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!reader.Health.Open)
        {
            Assert.True(DateTime.UtcNow < deadline, "the reader did not open its line");
            await Task.Delay(50);
        }
        void Send(string text) => scanner.Write(System.Text.Encoding.UTF8.GetBytes(text));
        Send("https://safety.paju.go.kr/t/PG1\r");
        Send("\u0001\u0002zz\r");                                   // line noise
        Send("8801234567890\r");                                     // a product barcode, not a plate
        Send("https://safety.paju.go.kr/t/" + new string('x', 200) + "\r");
        Send("https://safety.paju.go.kr/t/PG1\r");                  // the same plate again: the same visit
        Send("https://safety.paju.go.kr/t/PG3");                    // never finished …
        await Task.Delay(800);                                       // … the line goes quiet
        Send("https://safety.paju.go.kr/t/PG2\r");
        var arrived = await ArrivedAsync(2);
        await Task.Delay(500);
        Assert.Equal(["https://safety.paju.go.kr/t/PG1", "https://safety.paju.go.kr/t/PG2"], arrived.Select(c => c.Url));
        Assert.All(arrived, c => Assert.Equal(("office-qr", 37.9146), (c.Reader, c.Position!.Latitude)));
        Assert.Equal(1, reader.Health.Suppressed);
        var errors = reader.Health.Errors;
        Assert.Equal(1, errors["garbage"]);
        Assert.Equal(1, errors["not-a-plate"]);
        Assert.Equal(1, errors["overlong"]);
        Assert.Equal(1, errors["partial"]);

        // Its health on the device's state channel, as the server stores any device's: counters and the line's flag.
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!_broker.States.Any(s => s.Numbers.GetValueOrDefault("reader_checkins_count") == 2 && s.Numbers.GetValueOrDefault("reader_suppressed_count") == 1
            && s.Numbers.GetValueOrDefault("reader_errors_count") == 4 && s.Flags.GetValueOrDefault("reader_line_open")))
        {
            Assert.True(DateTime.UtcNow < until, "the reader's health did not reach the state channel");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_PN532_at_the_door_checks_in_a_held_tag_once_then_a_SUN_tag_with_its_fresh_URL_and_not_a_card_pulled_away()
    {
        using var pair = SerialPairs.Start("door");
        using var chip = new SimulatedPn532(pair.B);
        var reader = new Pn532Reader(Config(ReaderKind.Pn532, pair.A), _outlet, new ListLogger());
        chip.InField = new SimulatedPn532.Tag(Convert.FromHexString("04DE5F1EACC040"), false, () => SimulatedPn532.Type2Memory("https://safety.paju.go.kr/t/PG1"));
        Start(reader);
        var first = Assert.Single(await ArrivedAsync(1));
        Assert.Equal(("04DE5F1EACC040", "https://safety.paju.go.kr/t/PG1", "door-nfc"), (first.Uid, first.Url, first.Reader));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (reader.Health.Suppressed < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, "the held tag was not read again (and suppressed)");
            await Task.Delay(50);
        }

        // Pulled away mid-read: counted, no check-in; then a SUN tag is tapped and read whole.
        var tag = new Paju.Field.Tags.SunTagEmulator("https://safety.paju.go.kr", "PG-S000001", new byte[16], new byte[16], "04958CAA5C5E80");
        chip.InField = new SimulatedPn532.Tag(Convert.FromHexString("04958CAA5C5E80"), false,
            () => SimulatedPn532.Type2Memory("https://safety.paju.go.kr/t/PG-S000009?n=" + new string('9', 60)));
        chip.RemoveAfterExchanges = 1;
        while (reader.Health.Errors.GetValueOrDefault("removed") < 1)
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(30), "the pulled card was not counted");
            await Task.Delay(50);
        }
        chip.RemoveAfterExchanges = 0;
        var sun = tag.Tap();
        chip.InField = new SimulatedPn532.Tag(Convert.FromHexString("04958CAA5C5E80"), true, () => SimulatedPn532.Type4File(sun));
        var arrived = await ArrivedAsync(2);
        Assert.Equal(sun, arrived[1].Url);
        Assert.Equal("04958CAA5C5E80", arrived[1].Uid);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        await _broker.DisposeAsync();
        _queue.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
