using System.Diagnostics;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Modbus;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Modbus;

namespace Paju.Field.Bridge.Polling;

/// <summary>
/// One serial line's poll loop on a thread of its own: every interval, each slave in turn, readings
/// to the slave's publisher, and health on its state channel when it changes (and every minute).
/// A line that cannot be opened is retried every 5 s; nothing on the line can stop the loop.
/// </summary>
public sealed class LinePoller(LineConfig line, IReadOnlyList<SlavePoll> slaves, IReadOnlyDictionary<string, DeviceOutlet> outlets, ILogger log)
{
    private static readonly TimeSpan HealthEvery = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ReopenAfter = TimeSpan.FromSeconds(5);

    public LineConfig Line => line;

    public IReadOnlyList<SlavePoll> Slaves => slaves;

    public bool Open { get; private set; }

    public string? OpenError { get; private set; }

    public long Cycles { get; private set; }

    public double LastCycleMs { get; private set; }

    public DateTimeOffset? LastCycleAt { get; private set; }

    public void Run(CancellationToken ct)
    {
        var lastHealth = new Dictionary<string, (bool Online, DateTimeOffset At)>();
        while (!ct.IsCancellationRequested)
        {
            SerialLine serial;
            try
            {
                serial = new SerialLine(line.Serial);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                Open = false;
                OpenError = e.Message;
                log.LogError("Line {Line}: cannot open {Serial}: {Reason}; retrying in {Seconds} s", line.Name, line.Serial, e.Message, ReopenAfter.TotalSeconds);
                ct.WaitHandle.WaitOne(ReopenAfter);
                continue;
            }
            using (serial)
            {
                Open = true;
                OpenError = null;
                log.LogInformation("Line {Line}: polling {Count} slaves on {Serial} every {Interval} ms", line.Name, slaves.Count, line.Serial, line.PollIntervalMs);
                var master = new ModbusRtuMaster(serial, TimeSpan.FromMilliseconds(line.ResponseTimeoutMs), line.Retries)
                {
                    OnRetriedFault = fault =>
                    {
                        var slave = slaves.FirstOrDefault(s => s.Slave.Id == fault.Request[0]);
                        slave?.Health.Fault(fault, DateTimeOffset.UtcNow);
                        log.LogInformation("Line {Line}: retrying after {Fault}", line.Name, fault.Describe());
                    },
                };
                try
                {
                    PollUntilCancelled(master, lastHealth, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // An unplugged or reset adapter: close, wait, reopen (a replugged adapter is a new device node).
                    Open = false;
                    OpenError = e.Message;
                    log.LogError(e, "Line {Line}: {Serial} failed while polling ({Reason}); reopening in {Seconds} s", line.Name, line.Serial, e.Message, ReopenAfter.TotalSeconds);
                }
            }
            if (!Open && !ct.IsCancellationRequested)
            {
                ct.WaitHandle.WaitOne(ReopenAfter);
            }
        }
    }

    private void PollUntilCancelled(ModbusRtuMaster master, Dictionary<string, (bool Online, DateTimeOffset At)> lastHealth, CancellationToken ct)
    {
        var interval = TimeSpan.FromMilliseconds(line.PollIntervalMs);
        var next = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            foreach (var slave in slaves)
            {
                var now = DateTimeOffset.UtcNow;
                var result = slave.Poll(master, now);
                var outlet = outlets[slave.Slave.Device];
                if (result.Numbers.Count + result.Flags.Count > 0)
                {
                    outlet.Offer(Telemetry.TelemetryTopic.Telemetry, now, result.Numbers, result.Flags);
                }
                var online = slave.Health.Online;
                if (!lastHealth.TryGetValue(slave.Slave.Device, out var last) || last.Online != online || now - last.At >= HealthEvery)
                {
                    var (numbers, flags) = slave.Health.AsMetrics(now);
                    // What waits on disk and what a bound pushed out, over all of the device's uplinks.
                    var queues = outlet.Publishers.Select(p => p.Queue.State()).ToList();
                    numbers["queue_pending_count"] = queues.Sum(q => q.Pending);
                    numbers["queue_dropped_count"] = queues.Sum(q => q.Dropped);
                    outlet.Offer(Telemetry.TelemetryTopic.State, now, numbers, flags);
                    lastHealth[slave.Slave.Device] = (online, now);
                    if (last.At != default && last.Online != online)
                    {
                        log.Log(online ? LogLevel.Information : LogLevel.Warning, "{Device} (slave {Slave}) is {State}",
                            slave.Slave.Device, slave.Slave.Id, online ? "answering again" : "not answering");
                    }
                }
            }
            LastCycleMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LastCycleAt = DateTimeOffset.UtcNow;
            Cycles++;
            // Fixed rate: the next cycle starts one interval after this one started; a late cycle starts at once.
            next = LineClock.After(next, interval);
            if (next < Stopwatch.GetTimestamp())
            {
                next = Stopwatch.GetTimestamp();
            }
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                ct.WaitHandle.WaitOne(wait);
            }
        }
    }
}
