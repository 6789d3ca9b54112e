using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Database;
using Paju.Field.Server.Live;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// Writes one batch in one transaction: readings (UNNEST into the day partitions, duplicates
/// ignored by the key), device status, check-ins and dead letters. The newest value per metric
/// follows (NewestValuesWriter).
/// </summary>
public sealed class TelemetryWriter(NpgsqlDataSource db, IngestOptions options, Tags.CheckInVerifier? verifier = null, ILogger? log = null)
{
    /// <summary>Whether the readings' statement is prepared: until PostgreSQL shows that prepared statements do not last here.</summary>
    private volatile bool _prepare = true;

    private readonly ConcurrentDictionary<DateOnly, bool> _partitions = new();
    private readonly ConcurrentDictionary<int, DateTimeOffset> _lastSeenWritten = new();

    /// <summary>last_seen_at is for people ("heard from 3 s ago"): writing it more often than this is churn.</summary>
    private static readonly TimeSpan LastSeenResolution = TimeSpan.FromSeconds(10);

    // The readings are inserted as they are: a reading is new nearly always. Skipping duplicates by the key (ON CONFLICT
    // DO NOTHING) probes the key before each insert, takes a speculative-insertion lock and logs a confirmation, and
    // returning which rows were new materialises them all: together a seventh of PostgreSQL's time per reading under a
    // storm. A duplicate — a redelivery after a lost PUBACK, a bridge replaying its queue — fails the statement with
    // 23505 instead, and the batch is written again with the statement that skips duplicates (see WriteAsync).
    // The newest value per metric follows the commit (see NewestValuesWriter).
    /// <summary>Every reading is new (the usual case): all are stored, or the statement fails with 23505.</summary>
    private const string WriteNewReadings = """
        INSERT INTO telemetry (device, boot, seq, ts, received_at, historical, metrics)
        SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::boolean[], $7::jsonb[])
        """;

    /// <summary>Some readings may be stored already: those are skipped; each reading stored comes back in a row.</summary>
    private const string WriteReadingsSkippingDuplicates = $"""
        {WriteNewReadings}
        ON CONFLICT DO NOTHING
        RETURNING device, boot, seq
        """;

    /// <summary>After a duplicate, the statement that skips them is used for this long: a replay brings many together.</summary>
    private static readonly TimeSpan DuplicatesExpectedFor = TimeSpan.FromMinutes(1);

    private long _duplicatesExpectedUntil = long.MinValue;

    private const string InsertCheckIns = """
        INSERT INTO checkin (device, boot, seq, ts, received_at, uid, url, reader, operator, position, accuracy_m, historical)
        SELECT c.device, c.boot, c.seq, c.ts, c.received_at, c.uid, c.url, c.reader, c.operator,
               CASE WHEN c.lat IS NOT NULL THEN ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326) END, c.accuracy, c.historical
        FROM unnest($1::integer[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[],
                    $9::text[], $10::float8[], $11::float8[], $12::float8[], $13::boolean[])
             AS c(device, boot, seq, ts, received_at, uid, url, reader, operator, lat, lon, accuracy, historical)
        ON CONFLICT (device, boot, seq) DO NOTHING
        RETURNING device, boot, seq, id
        """;

    private const string InsertDeadLetters = """
        INSERT INTO dead_letter (received_at, client_id, username, topic, reason_code, reason, payload)
        SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[])
        """;

    public async Task<IngestOutcome[]> WriteAsync(IReadOnlyList<Classified> batch, CancellationToken ct)
    {
        var readings = Of<Classified.Reading>(batch);
        await EnsurePartitionsAsync(readings.Select(r => DateOnly.FromDateTime(r.Item.Value.Timestamp.UtcDateTime)), ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        try
        {
            var skipDuplicates = Environment.TickCount64 < Interlocked.Read(ref _duplicatesExpectedUntil);
            try
            {
                return await WriteAsync(conn, batch, readings, skipDuplicates, ct);
            }
            catch (PostgresException e) when (!skipDuplicates && IsDuplicateReading(e))
            {
                // The transaction was rolled back as the exception left it; nothing of the batch was written.
                Interlocked.Exchange(ref _duplicatesExpectedUntil, Environment.TickCount64 + (long)DuplicatesExpectedFor.TotalMilliseconds);
                log?.LogInformation("A batch of {Count} messages holds a reading stored already ({Detail}): a redelivery or a replay. " +
                                    "Written again skipping duplicates, as is every batch for the next {Seconds:F0} s",
                    batch.Count, e.Detail ?? e.MessageText, DuplicatesExpectedFor.TotalSeconds);
                return await WriteAsync(conn, batch, readings, skipDuplicates: true, ct);
            }
        }
        catch (PostgresException e) when (DatabaseErrors.IsStalePreparedStatement(e))
        {
            // The statement was prepared on a session that no longer holds it as prepared. Every pooled connection may be
            // in the same state: they are replaced, and the batch is retried (the error is transient). A statement missing
            // altogether (26000) means sessions do not last between batches here — a pooler in transaction mode — so it
            // is not prepared again; a plan outdated by a migration (0A000) is simply prepared afresh.
            if (e.SqlState == PostgresErrorCodes.InvalidSqlStatementName && _prepare)
            {
                _prepare = false;
                log?.LogWarning("PostgreSQL no longer holds the readings' prepared statement ({Reason}): a connection pooler in transaction mode, " +
                                "or a DISCARD ALL. Readings are written unprepared from now on", e.MessageText);
            }
            NpgsqlConnection.ClearPool(conn);
            throw;
        }
    }

    /// <summary>The readings' key refused a copy of a stored reading (or of one twice in the batch).</summary>
    private static bool IsDuplicateReading(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.UniqueViolation && e.TableName?.StartsWith("telemetry", StringComparison.Ordinal) == true;

    private async Task<IngestOutcome[]> WriteAsync(NpgsqlConnection conn, IReadOnlyList<Classified> batch, List<(int Index, Classified.Reading Item)> readings,
        bool skipDuplicates, CancellationToken ct)
    {
        var outcomes = new IngestOutcome[batch.Count];
        var rejected = Of<Classified.Rejected>(batch);
        await using var tx = await conn.BeginTransactionAsync(ct);

        if (readings.Count > 0)
        {
            var stored = new HashSet<(int, long, long)>();
            await using (var write = new NpgsqlCommand(skipDuplicates ? WriteReadingsSkippingDuplicates : WriteNewReadings, conn, tx))
            {
                write.Parameters.AddRange(Parameters(ReadingColumns(readings)));
                // Parsed and planned once per pooled connection instead of for every batch: about a tenth of PostgreSQL's
                // time per reading. Npgsql keeps it prepared on the connection; preparing again is a lookup.
                if (_prepare)
                {
                    await write.PrepareAsync(ct);
                }
                await using var reader = await write.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    stored.Add((reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2)));
                }
            }
            foreach (var (i, r) in readings)
            {
                outcomes[i] = !skipDuplicates || stored.Remove((r.Device.Id, r.Value.Boot, r.Value.Seq)) ? IngestOutcome.Stored : IngestOutcome.Duplicate;
            }
        }

        var seen = batch.OfType<Classified.FromDevice>()
            .GroupBy(c => c.Device.Id)
            .Select(g => (Id: g.Key, At: g.Max(c => c.Message.ReceivedAt)))
            .Where(s => !_lastSeenWritten.TryGetValue(s.Id, out var written) || s.At - written >= LastSeenResolution)
            .OrderBy(s => s.Id)
            .ToList();
        await WriteDeviceFactsAsync(conn, tx, batch, seen, ct);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is Classified.Status)
            {
                outcomes[i] = IngestOutcome.Stored;
            }
        }
        var checkIns = Of<Classified.CheckIn>(batch);
        if (checkIns.Count > 0)
        {
            await WriteCheckInsAsync(conn, tx, checkIns, outcomes, ct);
        }

        if (rejected.Count > 0)
        {
            await using var insert = new NpgsqlCommand(InsertDeadLetters, conn, tx);
            insert.Parameters.Add(new() { Value = rejected.Select(r => r.Item.Message.ReceivedAt).ToArray() });
            insert.Parameters.Add(new() { Value = rejected.Select(r => StorableText(r.Item.Message.ClientId)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = rejected.Select(r => StorableText(r.Item.Message.Username)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = rejected.Select(r => StorableText(r.Item.Message.Topic)).ToArray() });
            insert.Parameters.Add(new() { Value = rejected.Select(r => ReasonCode(r.Item.Code)).ToArray() });
            insert.Parameters.Add(new() { Value = rejected.Select(r => StorableText(r.Item.Reason)).ToArray() });
            insert.Parameters.Add(new() { Value = rejected.Select(r => r.Item.Message.Payload.ToArray()).ToArray() });
            await insert.ExecuteNonQueryAsync(ct);
            foreach (var (i, _) in rejected)
            {
                outcomes[i] = IngestOutcome.DeadLettered;
            }
        }

        await tx.CommitAsync(ct);
        foreach (var (id, at) in seen)
        {
            _lastSeenWritten[id] = at;
        }
        return outcomes;
    }

    /// <summary>The batch's messages of one kind, with their places in the batch (for the outcomes).</summary>
    private static List<(int Index, T Item)> Of<T>(IReadOnlyList<Classified> batch) where T : Classified =>
        [.. batch.Select((c, i) => (Index: i, Item: c as T)).Where(x => x.Item is not null).Select(x => (x.Index, x.Item!))];

    /// <summary>
    /// A dead letter's text columns take whatever a client sent as topic or client id: NUL and unpaired
    /// surrogates, which PostgreSQL text cannot hold, become U+FFFD. The raw bytes are kept in payload.
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    internal static string? StorableText(string? text) => text is null ? null : Paju.Field.Json.PostgresText.Storable(text);

    /// <summary>The stored name of a reject reason: snake case of the enum (malformed_json, out_of_range …).</summary>
    public static string ReasonCode(RejectReason reason) =>
        string.Concat(reason.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static object[] ReadingColumns(List<(int Index, Classified.Reading Item)> readings) =>
    [
        readings.Select(r => r.Item.Device.Id).ToArray(),
        readings.Select(r => r.Item.Value.Boot).ToArray(),
        readings.Select(r => r.Item.Value.Seq).ToArray(),
        readings.Select(r => r.Item.Value.Timestamp).ToArray(),
        readings.Select(r => r.Item.Message.ReceivedAt).ToArray(),
        readings.Select(r => r.Item.Value.Historical).ToArray(),
        readings.Select(r => r.Item.Value.MetricsJson()).ToArray(),
    ];

    private static NpgsqlParameter[] Parameters(object[] columns) =>
        [.. columns.Select((values, i) => i == columns.Length - 1
            ? new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb }
            : new NpgsqlParameter { Value = values })];

    /// <summary>Online/offline from status messages, last-seen from anything a device sent, and check-ins.</summary>
    private static async Task WriteDeviceFactsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Classified> batch,
        List<(int Id, DateTimeOffset At)> seen, CancellationToken ct)
    {
        if (seen.Count > 0)
        {
            await using var cmd = new NpgsqlCommand("""
                UPDATE device d SET last_seen_at = greatest(d.last_seen_at, s.at)
                FROM unnest($1::integer[], $2::timestamptz[]) AS s(id, at) WHERE d.id = s.id
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = seen.Select(s => s.Id).ToArray() });
            cmd.Parameters.Add(new() { Value = seen.Select(s => s.At).ToArray() });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        foreach (var c in batch.OfType<Classified.Status>())
        {
            // Statuses apply in arrival order; a status older than the one recorded is ignored. A change of online (a birth,
            // a Last Will) goes to the live feed in the same transaction, so the control room greys a station at once.
            await using var cmd = new NpgsqlCommand($"""
                WITH changed AS (
                    UPDATE device d SET online = $2, status_at = $3, last_boot = coalesce($4, d.last_boot)
                    FROM (SELECT online AS was FROM device WHERE id = $1) old
                    WHERE d.id = $1 AND (d.status_at IS NULL OR d.status_at <= $3)
                    RETURNING d.device_id, d.site, d.asset_id, old.was)
                SELECT live_event_append('{LiveEventTypes.DeviceStatus}', jsonb_build_object(
                           'device', c.device_id, 'site', c.site, 'asset', a.code, 'online', $2, 'at', $3))
                FROM changed c LEFT JOIN asset a ON a.id = c.asset_id
                WHERE c.was IS DISTINCT FROM $2
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = c.Device.Id });
            cmd.Parameters.Add(new() { Value = c.Value.Online });
            cmd.Parameters.Add(new() { Value = c.Message.ReceivedAt });
            cmd.Parameters.Add(new() { Value = (object?)c.Value.Boot ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Check-ins, each once by (device, boot, seq) and verified once, when first stored; the outcome says which were new.</summary>
    private async Task WriteCheckInsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<(int Index, Classified.CheckIn Item)> checkIns,
        IngestOutcome[] outcomes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(InsertCheckIns, conn, tx);
        var values = checkIns.Select(c => c.Item.Value).ToList();
        cmd.Parameters.Add(new() { Value = checkIns.Select(c => c.Item.Device.Id).ToArray() });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Boot).ToArray() });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Seq).ToArray() });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Timestamp).ToArray() });
        cmd.Parameters.Add(new() { Value = checkIns.Select(c => c.Item.Message.ReceivedAt).ToArray() });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Uid).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Url).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Reader).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Operator).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Position?.Latitude).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Position?.Longitude).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Position?.AccuracyMetres).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        cmd.Parameters.Add(new() { Value = values.Select(v => v.Historical).ToArray() });
        var stored = new Dictionary<(int, long, long), long>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                stored[(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2))] = reader.GetInt64(3);
            }
        }
        foreach (var (i, c) in checkIns)
        {
            if (!stored.Remove((c.Device.Id, c.Value.Boot, c.Value.Seq), out var rowId))
            {
                outcomes[i] = IngestOutcome.Duplicate;
                continue;
            }
            outcomes[i] = IngestOutcome.Stored;
            if (verifier is not null)
            {
                // A redelivered check-in never gets here: its SUN counter is recorded once and never reads as its own replay.
                var v = c.Value;
                await verifier.VerifyStoredAsync(conn, tx, rowId, new Tags.CheckInClaim(Paju.Field.Tags.CheckInMethods.Reader, v.Url, v.Uid, null, v.Position), ct);
            }
        }
    }

    /// <summary>Day partitions (UTC days) exist before a batch writes into them; creating one twice is harmless.</summary>
    private async Task EnsurePartitionsAsync(IEnumerable<DateOnly> days, CancellationToken ct)
    {
        foreach (var day in days.Distinct().Where(d => !_partitions.ContainsKey(d)))
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var from = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var to = day.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            await using var cmd = new NpgsqlCommand(
                $"CREATE TABLE IF NOT EXISTS {PartitionName(day)} PARTITION OF telemetry FOR VALUES FROM ('{from} 00:00:00+00') TO ('{to} 00:00:00+00')", conn);
            try
            {
                await cmd.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation)
            {
                // Another ingest process created it at the same moment.
            }
            _partitions[day] = true;
        }
    }

    private static string PartitionName(DateOnly day) => $"telemetry_{day:yyyyMMdd}";

    /// <summary>Retention: whole day partitions older than RetentionDays are dropped (cheap, no bloat).</summary>
    public async Task DropExpiredPartitionsAsync(ILogger log, CancellationToken ct)
    {
        var cutoff = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-options.RetentionDays);
        await using var conn = await db.OpenConnectionAsync(ct);
        var expired = new List<string>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'telemetry'::regclass AND c.relname ~ '^telemetry_[0-9]{8}$'
            """, conn))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                if (DateOnly.ParseExact(name["telemetry_".Length..], "yyyyMMdd", CultureInfo.InvariantCulture) < cutoff)
                {
                    expired.Add(name);
                }
            }
        }
        foreach (var name in expired)
        {
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {name}", conn);
            await drop.ExecuteNonQueryAsync(ct);
            _partitions.TryRemove(DateOnly.ParseExact(name["telemetry_".Length..], "yyyyMMdd", CultureInfo.InvariantCulture), out _);
            log.LogInformation("Dropped telemetry partition {Partition}: older than the {Days}-day retention", name, options.RetentionDays);
        }
    }
}
