using System.Collections.Concurrent;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Paju.Field.Server.Alarms;

/// <summary>
/// Latest-state changes for the live feed, kept off the ingest's hot path: after each committed
/// batch the ingest hands over its live readings (in memory); every 250 ms this publisher writes
/// what moved forward since it last published, per device and metric, as one 'state' event in the
/// live_event log (so it gets an id and survives a reconnect like any other event).
/// </summary>
public sealed class StatePublisher(NpgsqlDataSource db, ILogger<StatePublisher> log) : BackgroundService
{
    public const string StateEvent = "state";
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<(string Device, string Metric), (DateTimeOffset Ts, JsonElement Value)> _pending = new();
    private readonly Dictionary<(string Device, string Metric), DateTimeOffset> _published = [];

    /// <summary>Called by the ingest after a commit with the live (not replayed) readings it stored.</summary>
    public void Offer(string device, DateTimeOffset ts, IReadOnlyDictionary<string, double> numbers, IReadOnlyDictionary<string, bool> flags)
    {
        foreach (var (metric, value) in numbers)
        {
            Keep(device, metric, ts, JsonSerializer.SerializeToElement(value));
        }
        foreach (var (metric, value) in flags)
        {
            Keep(device, metric, ts, JsonSerializer.SerializeToElement(value));
        }
    }

    private void Keep(string device, string metric, DateTimeOffset ts, JsonElement value) =>
        _pending.AddOrUpdate((device, metric), (ts, value), (_, old) => old.Ts >= ts ? old : (ts, value));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PublishAsync(stoppingToken);
            }
            catch (NpgsqlException e)
            {
                log.LogWarning("Could not publish state changes to the live feed: {Reason}", e.Message);
            }
        }
    }

    public async Task PublishAsync(CancellationToken ct)
    {
        var devices = new Dictionary<string, (DateTimeOffset Ts, Dictionary<string, JsonElement> Metrics)>();
        foreach (var key in _pending.Keys)
        {
            if (!_pending.TryRemove(key, out var reading)
                || (_published.TryGetValue(key, out var last) && last >= reading.Ts))
            {
                continue;
            }
            _published[key] = reading.Ts;
            if (!devices.TryGetValue(key.Device, out var entry))
            {
                entry = (reading.Ts, []);
                devices[key.Device] = entry;
            }
            entry.Metrics[key.Metric] = reading.Value;
            if (reading.Ts > entry.Ts)
            {
                devices[key.Device] = (reading.Ts, entry.Metrics);
            }
        }
        if (devices.Count == 0)
        {
            return;
        }
        var payload = JsonSerializer.Serialize(new
        {
            devices = devices.Select(d => new { device = d.Key, ts = d.Value.Ts, metrics = d.Value.Metrics }),
        });
        await using var cmd = db.CreateCommand("INSERT INTO live_event (type, payload) VALUES ($1, $2)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = StateEvent });
        cmd.Parameters.Add(new NpgsqlParameter { Value = payload, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
