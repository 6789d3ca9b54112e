using System.Diagnostics;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Modbus;
using Paju.Field.Telemetry;

namespace Paju.Field.Bridge.Readers;

/// <summary>A reader's health for `paju-bridge status`: what it read, what it suppressed, what went wrong.</summary>
public sealed class ReaderHealth
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _errors = [];

    public long Reads { get; private set; }
    public long CheckIns { get; private set; }
    public long Suppressed { get; private set; }
    public DateTimeOffset? LastReadAt { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? LastErrorAt { get; private set; }

    public bool Open
    {
        get;
        set
        {
            if (field != value)
            {
                field = value;
                OpenChanged?.Invoke();
            }
        }
    }

    /// <summary>The line opened or failed: the reader says so on its state channel at once.</summary>
    public event Action? OpenChanged;

    public IReadOnlyDictionary<string, long> Errors
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, long>(_errors);
            }
        }
    }

    public void Read(bool admitted)
    {
        lock (_lock)
        {
            Reads++;
            LastReadAt = DateTimeOffset.UtcNow;
            if (admitted)
            {
                CheckIns++;
            }
            else
            {
                Suppressed++;
            }
        }
    }

    public void Error(string kind, string words, long count = 1)
    {
        lock (_lock)
        {
            _errors[kind] = _errors.GetValueOrDefault(kind) + count;
            LastError = words;
            LastErrorAt = DateTimeOffset.UtcNow;
        }
    }
}

/// <summary>
/// One fixed reader's loop on its own thread: open the line (again every few seconds while it cannot), read, and turn each
/// new tag read into a check-in of the reader's device — fixed position or handheld operator as configured.
/// </summary>
public abstract class FixedReader(ReaderConfig config, DeviceOutlet outlet, ILogger log)
{
    private static readonly TimeSpan Reopen = TimeSpan.FromSeconds(3);

    public ReaderConfig Config => config;

    public ReaderHealth Health { get; } = new();

    protected ILogger Log => log;

    private RepeatFilter Repeats { get; } = new(TimeSpan.FromSeconds(config.RepeatSeconds));

    public void Run(CancellationToken ct)
    {
        // The reader's health on its device's state channel: every StateSeconds, and at once when its line opens or fails.
        using var state = new Timer(_ => ReportState(), null, TimeSpan.Zero, TimeSpan.FromSeconds(config.StateSeconds));
        Health.OpenChanged += ReportState;
        try
        {
            Loop(ct);
        }
        finally
        {
            Health.OpenChanged -= ReportState;
        }
    }

    private readonly Lock _stateLock = new();

    /// <summary>Reads, check-ins, suppressed repeats and errors as counters, the line as a flag: what the control room's device view shows.</summary>
    public void ReportState()
    {
        lock (_stateLock)
        {
            var now = DateTimeOffset.UtcNow;
            var numbers = new Dictionary<string, double>
            {
                ["reader_reads_count"] = Health.Reads,
                ["reader_checkins_count"] = Health.CheckIns,
                ["reader_suppressed_count"] = Health.Suppressed,
                ["reader_errors_count"] = Health.Errors.Values.Sum(),
            };
            if (Health.LastReadAt is { } read)
            {
                numbers["reader_last_read_age_s"] = Math.Max(0, Math.Round((now - read).TotalSeconds, 1));
            }
            outlet.Offer(TelemetryTopic.State, now, numbers, new Dictionary<string, bool> { ["reader_line_open"] = Health.Open });
        }
    }

    private void Loop(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            SerialLine line;
            try
            {
                line = new SerialLine(config.Serial);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                Health.Open = false;
                Health.Error("open", $"{config.Serial.Port} 를 열 수 없습니다: {e.Message}");
                ct.WaitHandle.WaitOne(Reopen);
                continue;
            }
            using (line)
            {
                Health.Open = true;
                log.LogInformation("Reader {Reader} ({Kind}) reading {Serial} for device {Device}", config.Name, config.Kind, config.Serial, config.Device);
                try
                {
                    Serve(line, ct);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
                {
                    Health.Error("line", $"{config.Serial.Port}: {e.Message}");
                    log.LogWarning("Reader {Reader}: the line failed ({Reason}); reopening in {Seconds} s", config.Name, e.Message, Reopen.TotalSeconds);
                }
            }
            Health.Open = false;
            ct.WaitHandle.WaitOne(Reopen);
        }
    }

    protected abstract void Serve(SerialLine line, CancellationToken ct);

    /// <summary>A tag read: a check-in unless it repeats one within the time-to-live.</summary>
    protected void Offer(string key, string? uid, string? url)
    {
        var admitted = Repeats.Admit(key);
        Health.Read(admitted);
        if (!admitted)
        {
            return;
        }
        var position = config.Position is { } p ? new CheckInPosition(p.Lat, p.Lon, p.AccuracyM) : null;
        var checkIn = outlet.OfferCheckIn(DateTimeOffset.UtcNow, uid, url, config.Name, config.Operator, position);
        log.LogInformation("Reader {Reader}: tag {Tag} → check-in {Device} #{Seq}", config.Name, uid ?? url, config.Device, checkIn.Seq);
    }

    protected static long After(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);
}

/// <summary>A QR/barcode scanner in serial mode: each clean line that is a plate's URL is a check-in.</summary>
public sealed class LineScannerReader(ReaderConfig config, DeviceOutlet outlet, ILogger log) : FixedReader(config, outlet, log)
{
    protected override void Serve(SerialLine line, CancellationToken ct)
    {
        var framer = new LineScannerFramer(Config.Terminator, Config.Prefix, Config.Suffix, Config.MaxLength);
        var counted = new Dictionary<LineProblem, int>();
        var buffer = new byte[1024];
        while (!ct.IsCancellationRequested)
        {
            var read = line.Read(buffer, After(TimeSpan.FromMilliseconds(300)));
            if (read == 0)
            {
                // Quiet for 300 ms with a line begun: the scanner will not finish it.
                if (framer.HasPartial)
                {
                    framer.Idle();
                }
            }
            foreach (var scan in read > 0 ? framer.Push(buffer.AsSpan(0, read)) : [])
            {
                if (!Uri.TryCreate(scan, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || scan.Length > CheckIn.MaxUrlLength)
                {
                    Health.Error("not-a-plate", $"주소가 아닌 코드를 읽었습니다 ({scan.Length}자): 파주 표지의 QR 이 아닙니다.");
                    continue;
                }
                Offer(scan, null, scan);
            }
            foreach (var (kind, count) in framer.Problems)
            {
                var before = counted.GetValueOrDefault(kind);
                if (count > before)
                {
                    Health.Error(kind.ToString().ToLowerInvariant(), framer.LastProblem ?? kind.ToString(), count - before);
                    Log.LogWarning("Reader {Reader}: {Problem}", Config.Name, framer.LastProblem);
                    counted[kind] = count;
                }
            }
        }
    }
}

/// <summary>A PN532 NFC reader: polls for a tag; each new tag's UID and URL (a SUN URL's parameters untouched) is a check-in.</summary>
public sealed class Pn532Reader(ReaderConfig config, DeviceOutlet outlet, ILogger log) : FixedReader(config, outlet, log)
{
    protected override void Serve(SerialLine line, CancellationToken ct)
    {
        var session = new Pn532Session(line);
        var started = false;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!started)
                {
                    var (ic, version, revision) = session.Start();
                    Log.LogInformation("Reader {Reader}: PN5{Ic:X2} firmware {Version}.{Revision} ready", Config.Name, ic, version, revision);
                    started = true;
                }
                if (session.Poll() is { } tag)
                {
                    if (tag.Interrupted)
                    {
                        // Taken away mid-read: half a URL is no check-in; the next tap reads it whole.
                        Health.Error("removed", $"태그 {tag.UidHex}: {tag.Problem}");
                        ct.WaitHandle.WaitOne(Config.PollIntervalMs);
                        continue;
                    }
                    if (tag.Problem is not null)
                    {
                        Health.Error("tag", $"태그 {tag.UidHex}: {tag.Problem}");
                    }
                    // A tag without our URL still proves presence by its UID (the server checks it against the registry).
                    Offer(tag.UidHex, tag.UidHex, tag.Url);
                }
                failures = 0;
            }
            catch (Pn532Exception e)
            {
                Health.Error("pn532", e.Message);
                Log.LogWarning("Reader {Reader}: {Problem}", Config.Name, e.Message);
                // After a few failures in a row the chip may have reset: wake and configure it again.
                if (++failures >= 3)
                {
                    started = false;
                    failures = 0;
                }
            }
            ct.WaitHandle.WaitOne(Config.PollIntervalMs);
        }
    }
}
