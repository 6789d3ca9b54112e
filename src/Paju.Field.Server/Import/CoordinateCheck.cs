using Npgsql;
using NpgsqlTypes;
using Paju.Field.Geography;

namespace Paju.Field.Server.Import;

public enum CoordinateVerdict
{
    /// <summary>In Paju as given.</summary>
    Inside,

    /// <summary>In Paju only with latitude and longitude exchanged.</summary>
    Swapped,

    /// <summary>Projected metres in a file declared as longitude/latitude.</summary>
    ProjectedInGeographic,

    /// <summary>In Paju only with the northing moved by 100 km: a 500,000 vs 600,000 false northing mix-up.</summary>
    FalseNorthingOff,

    /// <summary>In Paju only when read in another CRS.</summary>
    OtherCrs,

    /// <summary>Outside Paju however it is read.</summary>
    Outside,
}

/// <summary>A row's coordinates checked against the city: where they land, or what probably went wrong.</summary>
public sealed record CoordinateDiagnosis(CoordinateVerdict Verdict, double Lon, double Lat, string? Reason);

/// <summary>
/// Transforms to WGS84 in PostGIS, in batches, and diagnoses coordinates that miss the city: the
/// mistakes Korean files actually carry (swapped axes, projected numbers in a lon/lat column, the
/// 100 km false-northing slip between 5186 and 5181/5174, a file in another CRS than declared).
/// </summary>
public sealed class CoordinateCheck(NpgsqlDataSource db)
{
    private const string TransformSql = """
        SELECT ST_X(g), ST_Y(g) FROM (
            SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x, y), $1), 4326) AS g
            FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS p(x, y, n) ORDER BY n) t
        """;

    public async Task<(double Lon, double Lat)[]> ToWgs84Async(CoordinateSystem crs, IReadOnlyList<(double X, double Y)> points, CancellationToken ct)
    {
        if (crs.Srid == 4326)
        {
            return [.. points.Select(p => (p.X, p.Y))];
        }
        await using var cmd = db.CreateCommand(TransformSql);
        cmd.Parameters.AddWithValue(crs.Srid);
        cmd.Parameters.Add(new NpgsqlParameter { Value = points.Select(p => p.X).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = points.Select(p => p.Y).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        var result = new (double, double)[points.Count];
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        for (var i = 0; await reader.ReadAsync(ct); i++)
        {
            result[i] = (reader.GetDouble(0), reader.GetDouble(1));
        }
        return result;
    }

    public async Task<(double X, double Y)> FromWgs84Async(CoordinateSystem crs, double lon, double lat, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), $3) AS g");
        cmd.Parameters.AddWithValue(lon);
        cmd.Parameters.AddWithValue(lat);
        cmd.Parameters.AddWithValue(crs.Srid);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetDouble(0), reader.GetDouble(1));
    }

    /// <summary>Where (x, y), declared in <paramref name="crs"/>, lands; and if not in Paju, the likeliest reason.</summary>
    public async Task<CoordinateDiagnosis> DiagnoseAsync(CoordinateSystem crs, double x, double y, CancellationToken ct)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y))
        {
            return new(CoordinateVerdict.Outside, double.NaN, double.NaN, "좌표가 숫자가 아닙니다");
        }
        if (crs.Geographic && !PajuExtent.Contains(x, y) && PajuExtent.Contains(y, x))
        {
            return new(CoordinateVerdict.Swapped, x, y, $"위도와 경도가 바뀐 것으로 보입니다: 경도 {y}, 위도 {x}이면 파주 안입니다");
        }
        if (crs.Geographic && (Math.Abs(x) > 180 || Math.Abs(y) > 90))
        {
            var likely = await LandsInAsync(CoordinateSystems.Projected, x, y, ct);
            return new(CoordinateVerdict.ProjectedInGeographic, double.NaN, double.NaN, likely.Count > 0
                ? $"경위도 파일에 투영 좌표(미터)가 들어 있습니다: {Describe(likely)}로 읽으면 파주 안입니다 (--crs 로 지정)"
                : $"경위도 파일에 범위를 벗어난 값({x}, {y})이 있습니다: 경도는 ±180, 위도는 ±90 안이어야 합니다");
        }
        if (await TryToWgs84Async(crs, x, y, ct) is not var (lon, lat))
        {
            (lon, lat) = (double.NaN, double.NaN);
        }
        else if (PajuExtent.Contains(lon, lat))
        {
            return new(CoordinateVerdict.Inside, lon, lat, null);
        }
        if (!crs.Geographic)
        {
            foreach (var shift in new[] { -100_000.0, 100_000.0 })
            {
                if (await TryToWgs84Async(crs, x, y + shift, ct) is var (slon, slat) && PajuExtent.Contains(slon, slat))
                {
                    var others = await LandsInAsync(CoordinateSystems.Projected.Where(c => c != crs), x, y, ct);
                    return new(CoordinateVerdict.FalseNorthingOff, lon, lat,
                        $"북쪽 좌표가 100 km 어긋나 있습니다 (가짜 북거 500,000과 600,000 혼동): " +
                        (others.Count > 0 ? $"{Describe(others)}로 읽으면 파주 안입니다" : $"EPSG:{crs.Srid}의 가짜 북거를 확인하십시오"));
                }
            }
        }
        var elsewhere = await LandsInAsync(CoordinateSystems.All.Where(c => c != crs), x, y, ct);
        if (elsewhere.Count > 0)
        {
            return new(CoordinateVerdict.OtherCrs, lon, lat, $"EPSG:{crs.Srid}로는 파주 밖입니다: {Describe(elsewhere)}로 읽으면 파주 안입니다 (--crs 로 지정)");
        }
        return new(CoordinateVerdict.Outside, lon, lat, $"파주시 밖의 좌표입니다 (경도 {lon:F5}, 위도 {lat:F5})");
    }

    private async Task<List<CoordinateSystem>> LandsInAsync(IEnumerable<CoordinateSystem> candidates, double x, double y, CancellationToken ct)
    {
        var found = new List<CoordinateSystem>();
        foreach (var candidate in candidates)
        {
            if (candidate.Geographic && (Math.Abs(x) > 180 || Math.Abs(y) > 90))
            {
                continue;
            }
            if (await TryToWgs84Async(candidate, x, y, ct) is var (lon, lat) && PajuExtent.Contains(lon, lat))
            {
                found.Add(candidate);
            }
        }
        return found;
    }

    /// <summary>One point, or null where PROJ cannot place it at all (far outside the CRS's area).</summary>
    private async Task<(double Lon, double Lat)?> TryToWgs84Async(CoordinateSystem crs, double x, double y, CancellationToken ct)
    {
        try
        {
            return (await ToWgs84Async(crs, [(x, y)], ct))[0];
        }
        catch (PostgresException)
        {
            return null;
        }
    }

    private static string Describe(List<CoordinateSystem> crss) => string.Join(" 또는 ", crss.Select(c => $"EPSG:{c.Srid}({c.Use})"));
}
