using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Paju.Field.Bridge.Config;

namespace Paju.Field.Bridge.Queue;

/// <summary>
/// An append-only queue on disk for one device and one uplink: segment files of checksummed records
/// (<see cref="RecordFormat"/>) named by their first LSN, an acknowledgement log, and a lock file.
/// A record leaves only when acknowledged (its PUBACK) or when a size or age bound pushes it out,
/// which is counted. Appends reach the kernel at once (a crash of the bridge loses nothing); they
/// reach the disk as <see cref="FsyncPolicy"/> says. Thread-safe: the poller appends, the publisher
/// reads and acknowledges, a timer commits.
/// </summary>
public sealed class DiskQueue : IDisposable
{
    private const string SegmentSuffix = ".seg";

    private sealed class Segment(long firstLsn, string path, SafeFileHandle file)
    {
        public long FirstLsn { get; } = firstLsn;
        public string Path { get; } = path;
        public SafeFileHandle File { get; } = file;
        public long Length { get; set; }
        public int Records { get; set; }
        public long Pending { get; set; }
        public long LastLsn { get; set; }
        public DateTimeOffset? FirstAppendedAt { get; set; }
        public DateTimeOffset? LastAppendedAt { get; set; }
    }

    /// <summary>A reading position; each reader (replay, live) has its own.</summary>
    public sealed class Cursor
    {
        internal long SegmentFirstLsn;
        internal long Offset;
        internal long AfterLsn;
    }

    private readonly Lock _gate = new();
    private readonly Lock _commitGate = new();
    private readonly string _directory;
    private readonly QueueSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly FileStream _lock;
    private readonly AckLog _ackLog;
    private readonly LsnRanges _acked;
    private readonly List<Segment> _segments = [];
    private readonly long _segmentBytes;
    private readonly long _maxBytes;
    private readonly ITimer _committer;
    private LsnRanges _unflushedAcks = new();
    private readonly List<Segment> _toDelete = [];
    private bool _compactAcks;
    private bool _dirty;
    private long _nextLsn;
    private long _committedLsn;
    private long _bytes;
    private long _dropped;
    private bool _disposed;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Directory => _directory;

    /// <summary>Bytes reopening found that were not whole records (a torn tail, damage), and skipped.</summary>
    public long RecoveredDamagedBytes { get; }

    private DiskQueue(string directory, QueueSettings settings, TimeProvider time, ILogger log, FileStream lockFile,
        AckLog ackLog, LsnRanges acked, long segmentBytes)
    {
        _directory = directory;
        _settings = settings;
        _time = time;
        _log = log;
        _lock = lockFile;
        _ackLog = ackLog;
        _acked = acked;
        _segmentBytes = segmentBytes;
        _maxBytes = (long)settings.MaxMegabytes * 1024 * 1024;
        RecoveredDamagedBytes = Recover();
        // Acknowledgements are written at each tick whatever the policy; segments are synced only under Group.
        var every = settings.Fsync == FsyncPolicy.Group ? TimeSpan.FromMilliseconds(settings.GroupCommitMs) : TimeSpan.FromSeconds(1);
        _committer = time.CreateTimer(_ => CommitInBackground(), null, every, every);
    }

    /// <summary>
    /// Opens (or creates) the queue in <paramref name="directory"/>, taking its lock: a second
    /// process on the same directory is refused rather than allowed to interleave records.
    /// </summary>
    public static DiskQueue Open(string directory, QueueSettings settings, ILogger log, TimeProvider? time = null, long? segmentBytes = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(System.IO.Path.Combine(directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"the queue {directory} is in use by another process ({e.Message}); one bridge per queue directory", e);
        }
        var (ackLog, acked) = AckLog.Open(System.IO.Path.Combine(directory, "acks"));
        var maxBytes = (long)settings.MaxMegabytes * 1024 * 1024;
        // Sixteen segments per bound: dropping the oldest segment drops about 6% of what is held.
        var size = segmentBytes ?? Math.Clamp(maxBytes / 16, 64 * 1024, 16 * 1024 * 1024);
        return new DiskQueue(directory, settings, time ?? TimeProvider.System, log, lockFile, ackLog, acked, size);
    }

    private long Recover()
    {
        var files = System.IO.Directory.GetFiles(_directory, "*" + SegmentSuffix)
            .Select(p => (Path: p, First: long.TryParse(System.IO.Path.GetFileNameWithoutExtension(p), NumberStyles.None, CultureInfo.InvariantCulture, out var f) ? f : -1))
            .Where(s => s.First > 0)
            .OrderBy(s => s.First)
            .ToList();
        long damaged = 0, lastLsn = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var isLast = i == files.Count - 1;
            var file = File.OpenHandle(files[i].Path, FileMode.Open, isLast ? FileAccess.ReadWrite : FileAccess.Read, FileShare.Read);
            var segment = new Segment(files[i].First, files[i].Path, file);
            var length = RandomAccess.GetLength(file);
            long offset = 0, validEnd = 0;
            var after = Math.Max(lastLsn, segment.FirstLsn - 1);
            while (RecordFormat.TryReadNext(file, offset, length, after, out var record, out var next, out var skipped))
            {
                damaged += skipped;
                segment.Records++;
                if (!_acked.Contains(record.Lsn))
                {
                    segment.Pending++;
                }
                segment.LastLsn = after = record.Lsn;
                segment.FirstAppendedAt ??= record.AppendedAt;
                segment.LastAppendedAt = record.AppendedAt;
                offset = validEnd = next;
            }
            damaged += length - validEnd;
            if (isLast && validEnd < length)
            {
                // A torn tail: cut it, so the next append starts on a record boundary.
                _log.LogWarning("Queue {Directory}: {Bytes} bytes at the end of {Segment} are not a whole record (an interrupted write); cut",
                    _directory, length - validEnd, System.IO.Path.GetFileName(segment.Path));
                RandomAccess.SetLength(file, validEnd);
                RandomAccess.FlushToDisk(file);
            }
            segment.Length = validEnd;
            lastLsn = Math.Max(lastLsn, segment.LastLsn);
            _bytes += segment.Length;
            _segments.Add(segment);
        }
        var ackedTop = _acked.Ranges.Count > 0 ? _acked.Ranges[^1].To : 1;
        _nextLsn = Math.Max(Math.Max(lastLsn + 1, ackedTop), _segments.Count > 0 ? _segments[^1].FirstLsn : 1);
        if (_segments.Count == 0)
        {
            _segments.Add(CreateSegment(_nextLsn));
        }
        _committedLsn = _nextLsn - 1;
        _acked.RemoveBelow(_segments[0].FirstLsn);
        _ackLog.Rewrite(_acked.Ranges, sync: _settings.Fsync != FsyncPolicy.Os);
        RetireAcknowledgedHead();
        return damaged;
    }

    private Segment CreateSegment(long firstLsn)
    {
        var path = System.IO.Path.Combine(_directory, firstLsn.ToString("D20", CultureInfo.InvariantCulture) + SegmentSuffix);
        var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        if (_settings.Fsync != FsyncPolicy.Os)
        {
            DirectorySync.Flush(_directory);
        }
        return new Segment(firstLsn, path, file);
    }

    private Segment Active => _segments[^1];

    /// <summary>Completed by the next append: take it before looking for records, then await it.</summary>
    public Task AppendSignal => Volatile.Read(ref _appended).Task;

    /// <summary>Appends a record and returns its LSN. Throws only when the disk refuses the write (full, gone).</summary>
    public long Append(ReadOnlySpan<byte> payload)
    {
        long lsn;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            lsn = _nextLsn;
            var bytes = RecordFormat.Encode(lsn, now, payload);
            if (Active.Length + bytes.Length > _segmentBytes && Active.Records > 0)
            {
                Roll();
            }
            var segment = Active;
            // A failed write leaves Length where it was: the next record overwrites whatever part landed.
            RandomAccess.Write(segment.File, bytes, segment.Length);
            _nextLsn++;
            segment.Length += bytes.Length;
            segment.Records++;
            segment.Pending++;
            segment.LastLsn = lsn;
            segment.FirstAppendedAt ??= now;
            segment.LastAppendedAt = now;
            _bytes += bytes.Length;
            _dirty = true;
            if (_settings.Fsync == FsyncPolicy.EveryRecord)
            {
                RandomAccess.FlushToDisk(segment.File);
                _dirty = false;
                _committedLsn = lsn;
            }
            EnforceBounds(now);
        }
        Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return lsn;
    }

    private void Roll()
    {
        // What was written to the old segment is made durable now: the commit timer only syncs the active one.
        if (_settings.Fsync != FsyncPolicy.Os)
        {
            RandomAccess.FlushToDisk(Active.File);
        }
        _segments.Add(CreateSegment(_nextLsn));
    }

    private void EnforceBounds(DateTimeOffset now)
    {
        while (_segments.Count > 1 && _bytes > _maxBytes)
        {
            DropHead($"the queue holds more than {_settings.MaxMegabytes} MB");
        }
        var oldest = now - TimeSpan.FromHours(_settings.MaxAgeHours);
        while (_segments.Count > 1 && _segments[0].LastAppendedAt < oldest)
        {
            DropHead($"older than {_settings.MaxAgeHours} h");
        }
    }

    private void DropHead(string reason)
    {
        var head = _segments[0];
        if (head.Pending > 0)
        {
            _dropped += head.Pending;
            _log.LogWarning("Queue {Directory}: {Count} unsent readings dropped, LSN {First}–{Last}: {Reason}",
                _directory, head.Pending, head.FirstLsn, head.LastLsn, reason);
        }
        RemoveHead();
    }

    private void RemoveHead()
    {
        var head = _segments[0];
        _segments.RemoveAt(0);
        _bytes -= head.Length;
        _toDelete.Add(head);
        _acked.RemoveBelow(_segments[0].FirstLsn);
        _compactAcks = true;
    }

    private void RetireAcknowledgedHead()
    {
        while (_segments.Count > 1 && _segments[0].Pending == 0)
        {
            RemoveHead();
        }
    }

    /// <summary>A cursor at the oldest record held, and the LSN the next append will get.</summary>
    public (Cursor Head, Cursor Tail, long NextLsn) Mark()
    {
        lock (_gate)
        {
            var head = _segments[0];
            var active = Active;
            return (new Cursor { SegmentFirstLsn = head.FirstLsn, Offset = 0, AfterLsn = head.FirstLsn - 1 },
                    new Cursor { SegmentFirstLsn = active.FirstLsn, Offset = active.Length, AfterLsn = _nextLsn - 1 },
                    _nextLsn);
        }
    }

    /// <summary>
    /// The next unacknowledged record after the cursor with an LSN below <paramref name="endLsn"/>,
    /// advancing the cursor past it. Records past the age bound are dropped (counted) on the way.
    /// </summary>
    public bool TryRead(Cursor cursor, long endLsn, out QueuedRecord record)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var oldest = _time.GetUtcNow() - TimeSpan.FromHours(_settings.MaxAgeHours);
            while (true)
            {
                var index = FindSegment(cursor.SegmentFirstLsn);
                if (index < 0)
                {
                    // Its segment was dropped or retired: go on from the oldest one held.
                    var head = _segments[0];
                    if (cursor.SegmentFirstLsn > head.FirstLsn)
                    {
                        record = default;
                        return false;
                    }
                    cursor.SegmentFirstLsn = head.FirstLsn;
                    cursor.Offset = 0;
                    cursor.AfterLsn = Math.Max(cursor.AfterLsn, head.FirstLsn - 1);
                    index = 0;
                }
                var segment = _segments[index];
                if (cursor.Offset >= segment.Length
                    || !RecordFormat.TryReadNext(segment.File, cursor.Offset, segment.Length, cursor.AfterLsn, out var found, out var next, out _))
                {
                    if (index == _segments.Count - 1)
                    {
                        cursor.Offset = segment.Length;
                        record = default;
                        return false;
                    }
                    cursor.SegmentFirstLsn = _segments[index + 1].FirstLsn;
                    cursor.Offset = 0;
                    continue;
                }
                if (found.Lsn >= endLsn)
                {
                    record = default;
                    return false;
                }
                cursor.Offset = next;
                cursor.AfterLsn = found.Lsn;
                if (_acked.Contains(found.Lsn))
                {
                    continue;
                }
                if (found.AppendedAt < oldest)
                {
                    _dropped++;
                    MarkDone(segment, found.Lsn);
                    _log.LogWarning("Queue {Directory}: reading LSN {Lsn} of {At:u} dropped unsent: older than {Hours} h",
                        _directory, found.Lsn, found.AppendedAt, _settings.MaxAgeHours);
                    continue;
                }
                record = found;
                return true;
            }
        }
    }

    /// <summary>Removes a record for good (its PUBACK came). Acknowledging twice is harmless.</summary>
    public void Acknowledge(long lsn)
    {
        lock (_gate)
        {
            if (_disposed || _acked.Contains(lsn))
            {
                return;
            }
            var index = FindSegmentHolding(lsn);
            if (index < 0)
            {
                return;   // dropped by a bound while it was in flight
            }
            MarkDone(_segments[index], lsn);
        }
    }

    private void MarkDone(Segment segment, long lsn)
    {
        _acked.Add(lsn);
        _unflushedAcks.Add(lsn);
        segment.Pending--;
        RetireAcknowledgedHead();
    }

    private int FindSegment(long firstLsn)
    {
        for (var i = 0; i < _segments.Count; i++)
        {
            if (_segments[i].FirstLsn == firstLsn)
            {
                return i;
            }
        }
        return -1;
    }

    private int FindSegmentHolding(long lsn)
    {
        if (lsn < _segments[0].FirstLsn || lsn >= _nextLsn)
        {
            return -1;
        }
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            if (_segments[i].FirstLsn <= lsn)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Makes what was appended and acknowledged durable (per the policy), deletes retired segments
    /// and compacts the acknowledgement log. Runs on the timer; call it to force a commit.
    /// </summary>
    public void Commit()
    {
        lock (_commitGate)
        {
            SafeFileHandle active;
            long target;
            bool dirty;
            LsnRanges acks;
            List<Segment> retired;
            bool compact;
            IReadOnlyList<(long, long)> allAcks;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }
                EnforceBounds(_time.GetUtcNow());
                active = Active.File;
                target = _nextLsn - 1;
                dirty = _dirty;
                _dirty = false;
                acks = _unflushedAcks;
                _unflushedAcks = new LsnRanges();
                retired = [.. _toDelete];
                _toDelete.Clear();
                compact = _compactAcks;
                _compactAcks = false;
                allAcks = [.. _acked.Ranges];
            }
            var sync = _settings.Fsync != FsyncPolicy.Os;
            if (dirty && sync)
            {
                try
                {
                    RandomAccess.FlushToDisk(active);
                }
                catch (ObjectDisposedException)
                {
                    // Rolled and retired meanwhile: it was synced when it rolled.
                }
            }
            foreach (var segment in retired)
            {
                segment.File.Dispose();
                File.Delete(segment.Path);
            }
            if (compact)
            {
                _ackLog.Rewrite(allAcks, sync);
            }
            else
            {
                _ackLog.Append(acks.Ranges, sync);
            }
            if (retired.Count > 0 && sync && !compact)
            {
                DirectorySync.Flush(_directory);
            }
            lock (_gate)
            {
                _committedLsn = Math.Max(_committedLsn, target);
            }
        }
    }

    private void CommitInBackground()
    {
        try
        {
            Commit();
        }
        catch (Exception e)
        {
            _log.LogError(e, "Queue {Directory}: commit failed ({Reason}); retrying at the next tick", _directory, e.Message);
        }
    }

    public QueueState State()
    {
        lock (_gate)
        {
            // The oldest pending reading is in the first segment that has one: its first time bounds it.
            DateTimeOffset? oldest = null;
            long pending = 0;
            foreach (var segment in _segments)
            {
                if (segment.Pending > 0)
                {
                    oldest ??= segment.FirstAppendedAt;
                }
                pending += segment.Pending;
            }
            return new QueueState(pending, _bytes, _dropped, _nextLsn - 1, _committedLsn, _segments.Count, oldest);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
        }
        _committer.Dispose();
        try
        {
            Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError("Queue {Directory}: last commit failed ({Reason})", _directory, e.Message);
        }
        lock (_gate)
        {
            _disposed = true;
            foreach (var segment in _segments.Concat(_toDelete))
            {
                segment.File.Dispose();
            }
        }
        _ackLog.Dispose();
        _lock.Dispose();
    }
}

/// <summary>A queue's figures for the status file and the health channel.</summary>
public sealed record QueueState(long Pending, long Bytes, long Dropped, long LastLsn, long CommittedLsn, int Segments, DateTimeOffset? OldestPendingAt);
