using System.ComponentModel.DataAnnotations;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Compliance;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Compliance;

/// <summary>The "Paju:Compliance" section.</summary>
public sealed class ComplianceOptions : IPajuOptions
{
    public static string Section => "Paju:Compliance";

    /// <summary>Whether this server runs the overdue job (one server of several is enough; tests drive it themselves).</summary>
    public bool RunJob { get; set; } = true;

    /// <summary>Minutes after each Seoul midnight the job runs (periods and validities turn at midnight).</summary>
    [Range(0, 120)]
    public int MinutesAfterMidnight { get; set; } = 1;
}

/// <summary>
/// Overdue changes with the clock, not with a write: at start and just after each Seoul midnight (every period boundary —
/// month, half-year, a validity's last day — is one) the job recomputes each asset's overdue flag. Only flags that change
/// are written, so tiles are invalidated and <c>asset.state</c> announced for exactly those assets.
/// </summary>
public sealed class ComplianceJob(NpgsqlDataSource db, ComplianceOptions options, IServiceProvider services, TimeProvider clock, ILogger<ComplianceJob> log)
    : BackgroundService
{
    public async Task<int> RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var statuses = await ComplianceStatus.ComputeAsync(conn, tx, now, ct);
        var flags = statuses.GroupBy(s => s.AssetId).Select(g => (Id: g.Key, Overdue: g.Any(s => s.Status.State == DueState.Overdue), Was: g.First().OverdueFlag))
            .Where(f => f.Overdue != f.Was).ToList();
        var changed = new List<long>();
        if (flags.Count > 0)
        {
            await using var update = new NpgsqlCommand("""
                UPDATE asset SET overdue = x.overdue FROM unnest($1::bigint[], $2::boolean[]) AS x(id, overdue)
                WHERE asset.id = x.id AND asset.overdue <> x.overdue
                RETURNING asset.id
                """, conn, tx)
            {
                Parameters = { new() { Value = flags.Select(f => f.Id).ToArray() }, new() { Value = flags.Select(f => f.Overdue).ToArray() } },
            };
            await using var reader = await update.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                changed.Add(reader.GetInt64(0));
            }
        }
        await AssetState.AnnounceAsync(conn, tx, changed, ct);
        await tx.CommitAsync(ct);
        if (changed.Count > 0)
        {
            log.LogInformation("Overdue state changed for {Count} assets as of {At:yyyy-MM-dd HH:mm} Seoul", changed.Count, SeoulCalendar.ToSeoul(now));
        }
        return changed.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RunJob)
        {
            return;
        }
        var atMidnight = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(clock.GetUtcNow(), stoppingToken);
                if (atMidnight)
                {
                    // Then the day's reminders to the city's messaging gateway (when one is configured) — once a day, not at every start.
                    await services.GetRequiredService<Reminders>().SendAsync(clock.GetUtcNow(), stoppingToken);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                log.LogWarning("Overdue job could not run ({Reason}); trying again in 5 min", e.Message);
                await Task.Delay(TimeSpan.FromMinutes(5), clock, stoppingToken);
                continue;
            }
            var now = clock.GetUtcNow();
            var tomorrow = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime).AddDays(1);
            var next = SeoulCalendar.StartOfDay(tomorrow).AddMinutes(options.MinutesAfterMidnight);
            await Task.Delay(next - now, clock, stoppingToken);
            atMidnight = true;
        }
    }
}
