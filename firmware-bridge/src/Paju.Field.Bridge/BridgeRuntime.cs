using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Polling;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Bridge.Queue;

namespace Paju.Field.Bridge;

/// <summary>
/// The running bridge: one poller thread per serial line, one MQTT session per controller, and the
/// status file. Used by `paju-bridge run` (as a systemd service) and by the server's demo.
/// </summary>
public sealed class BridgeRuntime(BridgeConfig config, ILoggerFactory logging)
{
    public IReadOnlyList<LinePoller> Pollers { get; private set; } = [];

    public IReadOnlyDictionary<string, DeviceOutlet> Outlets { get; private set; } = new Dictionary<string, DeviceOutlet>();

    public IReadOnlyList<Readers.FixedReader> FixedReaders { get; private set; } = [];

    public async Task RunAsync(CancellationToken ct)
    {
        var problems = ConfigValidator.Validate(config).Where(p => p.IsError).ToList();
        if (problems.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, problems));
        }
        var log = logging.CreateLogger("Paju.Field.Bridge");
        var queues = new List<DiskQueue>();
        var outlets = new Dictionary<string, DeviceOutlet>();
        try
        {
            foreach (var slave in config.Lines.SelectMany(l => l.Slaves))
            {
                outlets[slave.Device] = OpenOutlet(slave, queues);
            }
            foreach (var reader in config.Readers)
            {
                outlets[reader.Device] = OpenOutlet(reader.Identity, queues);
            }
        }
        catch
        {
            queues.ForEach(q => q.Dispose());
            throw;
        }
        var publishers = outlets.Values.SelectMany(o => o.Publishers).ToList();
        var pollers = config.Lines.Select(line => new LinePoller(line,
            [.. line.Slaves.Select(s => new SlavePoll(s, config.Models[s.Model], new SlaveHealth(), logging.CreateLogger<SlavePoll>()))],
            outlets, logging.CreateLogger<LinePoller>())).ToList();
        var readers = config.Readers.Select(r => r.Kind == ReaderKind.Pn532
            ? (Readers.FixedReader)new Readers.Pn532Reader(r, outlets[r.Device], logging.CreateLogger<Readers.Pn532Reader>())
            : new Readers.LineScannerReader(r, outlets[r.Device], logging.CreateLogger<Readers.LineScannerReader>())).ToList();
        Outlets = outlets;
        Pollers = pollers;
        FixedReaders = readers;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var publishing = publishers.Select(p => p.RunAsync(stop.Token)).ToList();
        var threads = pollers.Select(p =>
        {
            var thread = new Thread(() => p.Run(stop.Token)) { IsBackground = true, Name = $"modbus {p.Line.Name}" };
            thread.Start();
            return thread;
        }).ToList();
        foreach (var reader in readers)
        {
            var thread = new Thread(() => reader.Run(stop.Token)) { IsBackground = true, Name = $"reader {reader.Config.Name}" };
            thread.Start();
            threads.Add(thread);
        }
        log.LogInformation("Bridge started: {Lines} lines, {Readers} readers, {Devices} devices, broker {Endpoint}{Hub}, queue in {Queue} (fsync {Fsync}), status in {StatusFile}",
            pollers.Count, readers.Count, outlets.Count, config.Mqtt.Endpoint, config.IotHub is null ? "" : $" and IoT Hub {config.IotHub.HostName}",
            config.Queue.Directory, config.Queue.Fsync == FsyncPolicy.Group ? $"every {config.Queue.GroupCommitMs} ms" : config.Queue.Fsync.ToString(), config.StatusFile);
        try
        {
            WriteStatus(log);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(ct))
            {
                WriteStatus(log);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var thread in threads)
            {
                thread.Join(TimeSpan.FromSeconds(5));
            }
            await Task.WhenAll(publishing);
            WriteStatus(log);
            foreach (var publisher in publishers)
            {
                await publisher.DisposeAsync();
            }
            queues.ForEach(q => q.Dispose());
            log.LogInformation("Bridge stopped");
        }
    }

    /// <summary>The device's boot number and one queue and publisher per uplink (the broker, and IoT Hub if the device is listed there).</summary>
    private DeviceOutlet OpenOutlet(SlaveConfig slave, List<DiskQueue> queues)
    {
        var root = Path.Combine(config.Queue.Directory, slave.Device);
        var boot = DeviceOutlet.NextBoot(Path.Combine(root, "boot"), DateTimeOffset.UtcNow);
        var uplinks = new List<IUplink> { new BrokerUplink(slave, config.Mqtt, boot) };
        if (config.IotHub is { } hub && hub.Devices.ContainsKey(slave.Device))
        {
            uplinks.Add(new IotHubUplink(slave.Device, hub));
        }
        var publishers = new List<DevicePublisher>();
        foreach (var uplink in uplinks)
        {
            var queueLog = logging.CreateLogger<DiskQueue>();
            var queue = DiskQueue.Open(Path.Combine(root, uplink.Name), config.Queue, queueLog);
            queues.Add(queue);
            var state = queue.State();
            if (state.Pending > 0 || queue.RecoveredDamagedBytes > 0)
            {
                queueLog.LogInformation("{Device} → {Uplink}: {Pending:N0} readings waiting from before this start (oldest {Oldest:u}){Damage}",
                    slave.Device, uplink.Name, state.Pending, state.OldestPendingAt,
                    queue.RecoveredDamagedBytes > 0 ? $"; {queue.RecoveredDamagedBytes:N0} bytes that were not whole records skipped" : "");
            }
            publishers.Add(new DevicePublisher(slave.Device, uplink, queue, config.Queue, logging.CreateLogger<DevicePublisher>()));
        }
        return new DeviceOutlet(slave.Device, boot, publishers);
    }

    private void WriteStatus(ILogger log)
    {
        try
        {
            BridgeStatus.Capture(Pollers, Outlets, FixedReaders).WriteTo(config.StatusFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("Cannot write the status file {StatusFile}: {Reason}", config.StatusFile, e.Message);
        }
    }
}
