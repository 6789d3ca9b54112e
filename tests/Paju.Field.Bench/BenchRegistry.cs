using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Seeding;

namespace Paju.Field.Bench;

/// <summary>
/// Generates a large playground registry straight into the database: binary COPY into a staging
/// table, then one INSERT … SELECT into the registry tables. Sites cluster around the 읍면동
/// representative points in proportion to where children live (the sample's weights), from a
/// fixed seed, so every run measures the same data.
/// </summary>
public static class BenchRegistry
{
    public const int Seed = 424242;

    public static async Task GenerateAsync(NpgsqlDataSource db, int count, Action<string> progress)
    {
        var started = Stopwatch.StartNew();
        var random = new Random(Seed);
        var units = RepresentativePoints.All;
        var cumulative = new double[units.Count];
        var total = (double)units.Sum(u => u.PlaygroundWeight);
        for (int i = 0, sum = 0; i < units.Count; i++)
        {
            sum += units[i].PlaygroundWeight;
            cumulative[i] = sum / total;
        }
        string[] grades = [.. Enumerable.Repeat("양호", 85), .. Enumerable.Repeat("요주의", 9), .. Enumerable.Repeat("요수리", 5), "이용금지"];
        string[] places = ["주택단지", "도시공원", "어린이집", "유치원", "초등학교"];

        await using var conn = await db.OpenConnectionAsync();
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE bench_stage (n integer, lon float8, lat float8, grade text, place text, unit text)", conn))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var writer = await conn.BeginBinaryImportAsync("COPY bench_stage (n, lon, lat, grade, place, unit) FROM STDIN (FORMAT BINARY)"))
        {
            for (var n = 1; n <= count; n++)
            {
                var r = random.NextDouble();
                var unit = units[Math.Max(0, Array.FindIndex(cumulative, c => r <= c))];
                var sigma = unit.Spread * 2.5;
                var (east, north) = (Gaussian(random) * sigma, Gaussian(random) * sigma);
                await writer.StartRowAsync();
                await writer.WriteAsync(n, NpgsqlDbType.Integer);
                await writer.WriteAsync(unit.Lon + east / (111_320 * Math.Cos(unit.Lat * Math.PI / 180)), NpgsqlDbType.Double);
                await writer.WriteAsync(unit.Lat + north / 110_540, NpgsqlDbType.Double);
                await writer.WriteAsync(grades[random.Next(grades.Length)], NpgsqlDbType.Text);
                await writer.WriteAsync(places[random.Next(places.Length)], NpgsqlDbType.Text);
                await writer.WriteAsync(unit.Name, NpgsqlDbType.Text);
            }
            await writer.CompleteAsync();
        }
        await using (var insert = new NpgsqlCommand("""
            WITH a AS (
                INSERT INTO asset (kind, code, name, geom, source, properties)
                SELECT 'playground', 'PG-B' || lpad(n::text, 7, '0'), unit || ' 벤치 놀이터 ' || n,
                       ST_SetSRID(ST_MakePoint(lon, lat), 4326), 'bench', '{}'
                FROM bench_stage ORDER BY n
                RETURNING id, code
            )
            INSERT INTO playground (asset_id, facility_no, install_place, grade)
            SELECT a.id, 'B' || lpad(s.n::text, 7, '0'), s.place, s.grade
            FROM a JOIN bench_stage s ON a.code = 'PG-B' || lpad(s.n::text, 7, '0')
            """, conn) { CommandTimeout = 600 })
        {
            await insert.ExecuteNonQueryAsync();
        }
        foreach (var table in new[] { "asset", "playground" })
        {
            // VACUUM must run alone, not in a multi-statement batch.
            await using var analyze = new NpgsqlCommand($"VACUUM ANALYZE {table}", conn) { CommandTimeout = 600 };
            await analyze.ExecuteNonQueryAsync();
        }
        progress($"  {count:N0} playgrounds generated in {started.Elapsed.TotalSeconds:F1} s");
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
