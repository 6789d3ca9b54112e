using System.Globalization;
using System.Text;
using Npgsql;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Stations;

public sealed record SeriesPoint(DateTimeOffset Time, double Min, double Avg, double Max, long Count);

/// <summary>
/// GET /api/stations/{code}/series?metric=basin_level_m&amp;range=24h|7d[&amp;format=csv]: a metric of the
/// devices that measure a station (or basin), downsampled in PostgreSQL to 5-minute (24 h) or 30-minute
/// (7 d) buckets with min, mean and max, so a chart gets ~300 points and peaks are not averaged away.
/// </summary>
public static class SeriesEndpoints
{
    public static void MapStations(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/stations/{code}/series", SeriesAsync).RequireAuthorization(Policies.SignedIn);

    private static async Task<IResult> SeriesAsync(string code, string? metric, string? range, string? format,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(metric) || !Paju.Field.Telemetry.MetricUnits.IsValidName(metric))
        {
            return Results.Problem("metric is required, e.g. metric=basin_level_m", statusCode: StatusCodes.Status400BadRequest);
        }
        var (span, bucket) = (range ?? "24h") switch
        {
            "24h" => (TimeSpan.FromHours(24), TimeSpan.FromMinutes(5)),
            "7d" => (TimeSpan.FromDays(7), TimeSpan.FromMinutes(30)),
            _ => (TimeSpan.Zero, TimeSpan.Zero),
        };
        if (span == TimeSpan.Zero)
        {
            return Results.Problem("range is 24h or 7d", statusCode: StatusCodes.Status400BadRequest);
        }
        if (format is not (null or "json" or "csv"))
        {
            return Results.Problem("format is json or csv", statusCode: StatusCodes.Status400BadRequest);
        }

        await using (var exists = db.CreateCommand("SELECT 1 FROM asset WHERE code = $1"))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = code });
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                return Results.Problem($"No station or asset '{code}'.", statusCode: StatusCodes.Status404NotFound);
            }
        }
        var to = clock.GetUtcNow();
        await using var cmd = db.CreateCommand("""
            SELECT date_bin($4, t.ts, timestamptz '2000-01-01'), min(v), avg(v), max(v), count(*)
            FROM telemetry t
            JOIN device d ON d.id = t.device
            JOIN asset a ON a.id = d.asset_id
            CROSS JOIN LATERAL (SELECT (t.metrics ->> $2)::float8 AS v) m
            WHERE a.code = $1 AND t.ts >= $3 AND t.ts < $5 AND t.metrics ? $2 AND jsonb_typeof(t.metrics -> $2) = 'number'
            GROUP BY 1 ORDER BY 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = code });
        cmd.Parameters.Add(new NpgsqlParameter { Value = metric });
        cmd.Parameters.Add(new NpgsqlParameter { Value = to - span });
        cmd.Parameters.Add(new NpgsqlParameter { Value = bucket });
        cmd.Parameters.Add(new NpgsqlParameter { Value = to });
        var points = new List<SeriesPoint>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                points.Add(new SeriesPoint(r.GetFieldValue<DateTimeOffset>(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3), r.GetInt64(4)));
            }
        }
        if (format == "csv")
        {
            var csv = new StringBuilder("time,min,avg,max,count\n");
            foreach (var p in points)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{p.Time.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ},{p.Min},{p.Avg:0.######},{p.Max},{p.Count}\n");
            }
            return Results.Text(csv.ToString(), "text/csv", Encoding.UTF8);
        }
        return Results.Json(new { station = code, metric, range = range ?? "24h", bucketSeconds = (int)bucket.TotalSeconds, points });
    }
}
