using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Polling;
using Paju.Field.Bridge.Publishing;

namespace Paju.Field.Bridge;

/// <summary>
/// The running bridge: one poller thread per serial line, one MQTT session per controller, and the
/// status file. Used by `paju-bridge run` (as a systemd service) and by the server's demo.
/// </summary>
public sealed class BridgeRuntime(BridgeConfig config, ILoggerFactory logging)
{
    /// <summary>Readings held per device while the broker is unreachable.</summary>
    public int QueueCapacity { get; init; } = 100_000;

    public IReadOnlyList<LinePoller> Pollers { get; private set; } = [];

    public IReadOnlyDictionary<string, DevicePublisher> Publishers { get; private set; } = new Dictionary<string, DevicePublisher>();

    public async Task RunAsync(CancellationToken ct)
    {
        var problems = ConfigValidator.Validate(config).Where(p => p.IsError).ToList();
        if (problems.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, problems));
        }
        var log = logging.CreateLogger("Paju.Field.Bridge");
        var publishers = config.Lines.SelectMany(l => l.Slaves).ToDictionary(s => s.Device,
            s => new DevicePublisher(s, config.Mqtt, QueueCapacity, logging.CreateLogger<DevicePublisher>()));
        var pollers = config.Lines.Select(line => new LinePoller(line,
            [.. line.Slaves.Select(s => new SlavePoll(s, config.Models[s.Model], new SlaveHealth(), logging.CreateLogger<SlavePoll>()))],
            publishers, logging.CreateLogger<LinePoller>())).ToList();
        Publishers = publishers;
        Pollers = pollers;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var publishing = publishers.Values.Select(p => p.RunAsync(stop.Token)).ToList();
        var threads = pollers.Select(p =>
        {
            var thread = new Thread(() => p.Run(stop.Token)) { IsBackground = true, Name = $"modbus {p.Line.Name}" };
            thread.Start();
            return thread;
        }).ToList();
        log.LogInformation("Bridge started: {Lines} lines, {Devices} devices, broker {Endpoint}, status in {StatusFile}",
            pollers.Count, publishers.Count, config.Mqtt.Endpoint, config.StatusFile);
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
            foreach (var publisher in publishers.Values)
            {
                await publisher.DisposeAsync();
            }
            log.LogInformation("Bridge stopped");
        }
    }

    private void WriteStatus(ILogger log)
    {
        try
        {
            BridgeStatus.Capture(Pollers, Publishers).WriteTo(config.StatusFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("Cannot write the status file {StatusFile}: {Reason}", config.StatusFile, e.Message);
        }
    }
}
