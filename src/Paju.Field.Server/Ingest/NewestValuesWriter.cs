using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Database;
using Paju.Field.Server.Live;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// latest_metric and the live feed's 'state' events follow the stored readings: the newest values of the readings
/// committed since the last write are merged and written together, at most once per interval, each write with its
/// state event in one transaction (the feed never tells of a value latest_metric does not hold, nor misses one it does).
/// Under a storm a device sends many readings an interval, and its newest values are written once for all of them:
/// written with every batch of readings, they and their events took about a seventh of ingest's time a message. A
/// reading's PUBACK waits for its own commit only; its newest values follow within the interval.
/// Values left unwritten by a crash are found again at the next start (see CatchUpAsync).
/// </summary>
public sealed class NewestValuesWriter(NpgsqlDataSource db, IngestOptions options, ILogger log, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private NewestValues _pending = new();
    private long _offered, _settled;
    private readonly List<(long Upto, TaskCompletionSource Done)> _waiters = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>A (device, metric) held already (l) keeps its value unless the one offered comes from a newer reading.</summary>
    private const string KeepTheNewer = """
        ON CONFLICT (device, metric) DO UPDATE
            SET value = excluded.value, ts = excluded.ts, received_at = excluded.received_at,
                boot = excluded.boot, seq = excluded.seq, historical = excluded.historical
            WHERE (l.ts, l.boot, l.seq) < (excluded.ts, excluded.boot, excluded.seq)
        """;

    // A newest value already held is updated in place when the reading is newer; only a (device, metric) seen for the
    // first time is inserted, looked up in the table only among the values that did not move forward (usually none: an
    // index probe per value was spent on the one in thousands that is new). A held row is never offered to the insert,
    // whose conflict path would lock it out of the (device, metric) order the update keeps: two writers (two `paju
    // ingest` workers) would deadlock. Should another writer add the same new pair at the same moment, the insert meets
    // its row and keeps the newer. What actually moved forward comes back as one array of the values' places among the
    // parameters, not as a row per value to print, send and read back. A value older than the stored one changes nothing.
    private const string WriteValues = $"""
        WITH newest AS (
            SELECT device, metric, coalesce(to_jsonb(number), to_jsonb(flag)) AS value, ts, received_at, boot, seq, historical, place
            FROM unnest($1::integer[], $2::text[], $3::float8[], $4::boolean[], $5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::bigint[],
                        $9::boolean[]) WITH ORDINALITY
                AS n(device, metric, number, flag, ts, received_at, boot, seq, historical, place)),
        moved AS (
            UPDATE latest_metric l
                SET value = n.value, ts = n.ts, received_at = n.received_at, boot = n.boot, seq = n.seq, historical = n.historical
            FROM newest n
            WHERE l.device = n.device AND l.metric = n.metric AND (l.ts, l.boot, l.seq) < (n.ts, n.boot, n.seq)
            RETURNING n.place),
        unmoved AS MATERIALIZED (
            SELECT * FROM newest n WHERE NOT EXISTS (SELECT FROM moved m WHERE m.place = n.place)),
        added AS (
            INSERT INTO latest_metric AS l (device, metric, value, ts, received_at, boot, seq, historical)
            SELECT n.device, n.metric, n.value, n.ts, n.received_at, n.boot, n.seq, n.historical FROM unmoved n
            WHERE NOT EXISTS (SELECT FROM latest_metric held WHERE held.device = n.device AND held.metric = n.metric)
            {KeepTheNewer}
            RETURNING device, metric)
        SELECT ARRAY(SELECT place FROM moved UNION ALL SELECT n.place FROM added a JOIN newest n ON n.device = a.device AND n.metric = a.metric)
        """;

    private const string AppendState = $"SELECT live_event_append('{LiveEventTypes.State}', $1::json)";

    /// <summary>Values are written at most this often; the first after a quiet spell at once.</summary>
    private TimeSpan Interval => TimeSpan.FromMilliseconds(options.NewestValuesIntervalMilliseconds);

    /// <summary>Readings whose newest values are not written yet.</summary>
    public long Waiting
    {
        get
        {
            lock (_gate)
            {
                return _offered - _settled;
            }
        }
    }

    /// <summary>The newest values of committed readings (stored, or found stored already), to be written with the next write.</summary>
    public void Follow(IEnumerable<Classified.Reading> committed)
    {
        var any = false;
        lock (_gate)
        {
            foreach (var r in committed)
            {
                _pending.Offer(r);
                _offered++;
                any = true;
            }
        }
        if (any)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    /// <summary>Completes once the values of every reading followed before this call are written (or given up as refused).</summary>
    public Task WrittenAsync()
    {
        lock (_gate)
        {
            if (_settled >= _offered)
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((_offered, done));
            return done.Task;
        }
    }

    /// <summary>Catches up with what a crash left unwritten, then writes as readings commit, until stopped (see WriteRestAsync).</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            try
            {
                await RetryWhileTransientAsync(() => "catch up with the stored readings", CatchUpAsync, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError("Could not catch up with the stored readings: {Reason}. Newest values left behind by a crash come with each metric's next reading",
                    DatabaseErrors.Describe(e));
            }
            var last = long.MinValue;
            while (await _wake.Reader.WaitToReadAsync(stoppingToken))
            {
                _wake.Reader.TryRead(out _);
                var wait = last == long.MinValue ? TimeSpan.Zero : Interval - _clock.GetElapsedTime(last);
                if (wait > TimeSpan.Zero)
                {
                    // What commits meanwhile joins this write.
                    await Task.Delay(wait, _clock, stoppingToken);
                }
                last = _clock.GetTimestamp();
                try
                {
                    await WritePendingAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Not the database (WritePendingAsync deals with that): kept, logged, and tried again, never left to stop the loop.
                    log.LogError(e, "Could not write the newest values of {Count} readings; trying again in a second", Waiting);
                    await Task.Delay(TimeSpan.FromSeconds(1), _clock, stoppingToken);
                    _wake.Writer.TryWrite(true);
                }
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is left goes with WriteRestAsync.
        }
    }

    /// <summary>Ingest is stopping: what its last batches committed is written now, briefly; a crash would leave it to the next start.</summary>
    public async Task WriteRestAsync()
    {
        using var briefly = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await WritePendingAsync(briefly.Token);
        }
        catch (Exception e)
        {
            log.LogWarning("Stopping with the newest values of {Count} readings unwritten ({Reason}); the next start finds them in the readings",
                Waiting, e.Message);
        }
    }

    private async Task WritePendingAsync(CancellationToken ct)
    {
        var taken = new NewestValues();
        long upto = 0;
        try
        {
            // Each attempt takes what is pending: after a transient failure, what committed meanwhile goes with the retry.
            await RetryWhileTransientAsync(() => $"write the newest values of {taken.Devices.Count()} devices", async attemptCt =>
            {
                lock (_gate)
                {
                    taken.Absorb(_pending);
                    (_pending, upto) = (new NewestValues(), _offered);
                }
                await WriteOrSplitAsync(taken, attemptCt);
            }, ct);
        }
        catch
        {
            // Not written (stopping, or a fault): the values go back, merged with what came since, for the next write.
            lock (_gate)
            {
                taken.Absorb(_pending);
                _pending = taken;
            }
            throw;
        }
        Settle(upto);
    }

    private void Settle(long upto)
    {
        List<TaskCompletionSource> done;
        lock (_gate)
        {
            _settled = Math.Max(_settled, upto);
            done = [.. _waiters.Where(w => w.Upto <= _settled).Select(w => w.Done)];
            _waiters.RemoveAll(w => w.Upto <= _settled);
        }
        foreach (var d in done)
        {
            d.TrySetResult();
        }
    }

    /// <summary>
    /// A refusal for good (nothing a retry mends) is narrowed down to the devices it concerns, by halves; their values are
    /// given up with a warning, the others written. Their readings are stored: the values come with each metric's next reading.
    /// </summary>
    private async Task WriteOrSplitAsync(NewestValues values, CancellationToken ct)
    {
        if (values.Count == 0)
        {
            return;
        }
        try
        {
            await WriteAsync(values, ct);
        }
        catch (Exception e) when (!DatabaseErrors.IsTransient(e) && e is not OperationCanceledException)
        {
            if (values.Devices.Skip(1).Any())
            {
                var (first, second) = values.Halves();
                await WriteOrSplitAsync(first, ct);
                await WriteOrSplitAsync(second, ct);
                return;
            }
            log.LogWarning("The database refused the newest values of device #{Device} ({Reason}); its readings are stored, and its values " +
                           "follow with each metric's next reading", values.Devices.Single(), DatabaseErrors.Describe(e));
        }
    }

    /// <summary>One transaction: latest_metric moved forward, and what moved told on the live feed.</summary>
    public async Task WriteAsync(NewestValues values, CancellationToken ct)
    {
        var columns = values.ToColumns();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long[] places;
        await using (var write = new NpgsqlCommand(WriteValues, conn, tx))
        {
            write.Parameters.AddRange(columns.All.Select(c => new NpgsqlParameter { Value = c }).ToArray());
            places = (long[])(await write.ExecuteScalarAsync(ct))!;
        }
        if (places.Length == 0)
        {
            await tx.CommitAsync(ct);
            return;
        }
        var moved = places.Select(p => columns.Moved((int)p - 1)).ToList();
        // In the same round trip as the COMMIT: appending to the live log holds its lock until the commit, so the lock is
        // held for the database's own time, never across this process's wait for its next turn on a busy machine.
        await using var finish = new NpgsqlBatch(conn, tx);
        var append = new NpgsqlBatchCommand(AppendState);
        append.Parameters.Add(new() { Value = StateEvent.Json(moved, values.Readings), NpgsqlDbType = NpgsqlDbType.Json });
        finish.BatchCommands.Add(append);
        finish.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await finish.ExecuteNonQueryAsync(ct);
    }

    // Values a crash left unwritten came from the readings stored in the last moments before it, newer than any value
    // latest_metric holds for their device: for each device, its readings from its newest value held on (all of them if
    // it holds none), at most the newest thousand, found by the readings' key (device, ts, …): a few index probes a device
    // when nothing was left behind. Their newest value per metric moves latest_metric forward where newer, in (device,
    // metric) order as every writer locks, and what moved is told on the live feed. A value of an older, out-of-order
    // reading left unwritten comes with the metric's next reading.
    private const string CatchUp = $"""
        WITH heads AS (
            SELECT d.id AS device, (SELECT max(l.ts) FROM latest_metric l WHERE l.device = d.id) AS held
            FROM device d WHERE d.role = 'device'),
        recent AS (
            SELECT t.*
            FROM heads h CROSS JOIN LATERAL (
                SELECT t.device, t.ts, t.boot, t.seq, t.received_at, t.historical, t.metrics FROM telemetry t
                WHERE t.device = h.device AND (h.held IS NULL OR t.ts >= h.held)
                ORDER BY t.ts DESC, t.boot DESC, t.seq DESC LIMIT 1000) t),
        newest AS (
            SELECT DISTINCT ON (r.device, m.key) r.device, m.key AS metric, m.value, r.ts, r.received_at, r.boot, r.seq, r.historical
            FROM recent r CROSS JOIN LATERAL jsonb_each(r.metrics) m
            ORDER BY r.device, m.key, r.ts DESC, r.boot DESC, r.seq DESC),
        moved AS (
            INSERT INTO latest_metric AS l (device, metric, value, ts, received_at, boot, seq, historical)
            SELECT * FROM newest ORDER BY device, metric COLLATE "C"
            {KeepTheNewer}
            RETURNING l.device, l.metric, l.value, l.ts, l.historical),
        told AS (
            SELECT d.device_id AS device, d.site, a.code AS asset, m.ts, jsonb_object_agg(m.metric, m.value ORDER BY m.metric) AS metrics,
                   bool_or(m.historical) AS historical
            FROM moved m JOIN device d ON d.id = m.device LEFT JOIN asset a ON a.id = d.asset_id
            GROUP BY d.device_id, d.site, a.code, m.ts)
        SELECT count(*), (SELECT count(*) FROM moved),
               CASE WHEN count(*) > 0 THEN live_event_append('{LiveEventTypes.State}',
                   json_build_object('devices', json_agg(json_build_object('device', device, 'site', site, 'asset', asset,
                       'ts', regexp_replace(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\.?0+$', '') || '+00:00',
                       'metrics', metrics, 'historical', historical)
                       ORDER BY device, ts))) END
        FROM told
        """;

    /// <summary>Moves latest_metric forward to the readings a crash left it behind (see CatchUp); returns the values moved.</summary>
    public async Task<long> CatchUpAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // The COMMIT in the same round trip: the live log's lock, taken when something moved, is held for the database's time only.
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { new(CatchUp), new("COMMIT") } };
        long moved;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            moved = reader.GetInt64(1);
        }
        if (moved > 0)
        {
            log.LogWarning("Caught up with readings stored before the last stop: {Count} newest values were behind them and moved forward", moved);
        }
        return moved;
    }

    /// <summary>Retries only what can succeed later (the database away, restarting, overloaded), as the batches of readings do.</summary>
    private async Task RetryWhileTransientAsync(Func<string> what, Func<CancellationToken, Task> action, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action(ct);
                return;
            }
            catch (Exception e) when (DatabaseErrors.IsTransient(e) && !ct.IsCancellationRequested)
            {
                var delay = DatabaseErrors.RetryDelay(attempt);
                log.LogWarning("Could not {What} (attempt {Attempt}): {Reason}. Retrying in {Delay} ms", what(), attempt, e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, _clock, ct);
            }
        }
    }
}
