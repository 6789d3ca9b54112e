using System.Diagnostics;
using System.Globalization;
using System.Text;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Import;
using Paju.Field.Server.Seeding;

namespace Paju.Field.Bench;

/// <summary>
/// Registry import. (A) A national-registry-format CSV of a million playgrounds imported with full
/// validation (parse, transform, validity, codes unique, inside Paju, 읍면동 by point-in-polygon,
/// one transaction), beside — in the same run, on a fresh registry with the same tables, indexes and
/// triggers — a bare binary COPY of the same rows (the ceiling). (B) A 200 MB minified GeoJSON
/// imported by the real <c>paju import</c> process, its peak RSS read from the process.
/// </summary>
public static class ImportBench
{
    public sealed record Options(int Rows, int GeoJsonMegabytes, string? ConnectionString, string DataDirectory, string ReportFile);

    private sealed record Row(string Code, string Name, double Lon, double Lat, string Date, string Place, string Road, string Lot);

    public static async Task<int> RunAsync(Options options)
    {
        var folder = Path.Combine(options.DataDirectory, "import-bench");
        Directory.CreateDirectory(folder);
        await using var bench = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        var rows = Generate(options.Rows);
        var csv = Path.Combine(folder, "pfct-1m.csv");
        Console.WriteLine($"{rows.Count:N0}행 CSV를 만듭니다: {csv}");
        WriteCsv(csv, rows);

        // A. Import with full validation.
        var importDb = await bench.CreateAsync("paju_bench_import");
        TimeSpan importTime;
        ImportResult result;
        string version;
        await using (var db = DatabaseSession.CreateDataSource(importDb))
        {
            version = await bench.ServerVersionAsync(db);
            await LoadAreasAsync(db, folder);
            var clock = Stopwatch.StartNew();
            result = await new RegistryImporter(db).RunAsync(new ImportRequest(csv, ImportKind.Playground)
            {
                SkipInvalid = true, ReportPath = Path.Combine(folder, "report.csv"),
            }, Actor.System("bench"), null, default);
            importTime = clock.Elapsed;
        }
        Console.WriteLine($"A. 가져오기: {importTime.TotalSeconds:F1}초, 넣음 {result.Written?.Inserted:N0}, 잘못됨 {result.Invalid:N0}");

        // The ceiling: the same rows, already in memory, COPYed straight into the same tables.
        var copyDb = await bench.CreateAsync("paju_bench_copy");
        TimeSpan copyTime;
        await using (var db = DatabaseSession.CreateDataSource(copyDb))
        {
            await LoadAreasAsync(db, folder);
            copyTime = await BareCopyAsync(db, rows);
        }
        Console.WriteLine($"   binary COPY: {copyTime.TotalSeconds:F1}초");

        // B. 200 MB of minified GeoJSON through the real command, peak RSS from its own report.
        var geojson = Path.Combine(folder, $"pfct-{options.GeoJsonMegabytes}mb.geojson");
        var features = WriteGeoJson(geojson, options.GeoJsonMegabytes);
        var bytes = new FileInfo(geojson).Length;
        var geoDb = await bench.CreateAsync("paju_bench_geojson");
        await using (var db = DatabaseSession.CreateDataSource(geoDb))
        {
            await LoadAreasAsync(db, folder);
        }
        var clockB = Stopwatch.StartNew();
        var run = await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "paju.dll"), "import", geojson, "--kind", "playground",
            "--skip-invalid", "--report", Path.Combine(folder, "report-geojson.csv"), "--db", geoDb]);
        var geoTime = clockB.Elapsed;
        if (!run.Succeeded)
        {
            Console.Error.WriteLine(run.StandardOutput + run.StandardError);
            return 1;
        }
        var peak = run.StandardOutput.Split('\n').Single(l => l.Contains("최대 메모리", StringComparison.Ordinal));
        var peakMb = int.Parse(peak[(peak.IndexOf("최대 메모리", StringComparison.Ordinal) + 7)..].Replace("MB", "").Replace(",", "").Trim(), CultureInfo.InvariantCulture);
        Console.WriteLine($"B. GeoJSON {bytes / 1e6:F0} MB, {features:N0} 피처: {geoTime.TotalSeconds:F1}초, 최대 메모리 {peakMb} MB");

        var ratio = copyTime / importTime;
        var md = new StringBuilder();
        md.AppendLine("## Registry import (`./paju bench import`)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Describe()}; {version}; {bench.Description}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `./paju bench import --rows {options.Rows} --geojson-mb {options.GeoJsonMegabytes}`.");
        md.AppendLine();
        md.AppendLine("A. A national-registry-format CSV (`pfctSn`, `pfctNm`, … `latCrtsVl`, `lotCrtsVl`) of playgrounds inside Paju, imported with full validation");
        md.AppendLine("(parse, codes unique, geometry, inside the 17 읍면동, 읍면동 by point-in-polygon, one transaction, batch record) into `asset` + `playground`;");
        md.AppendLine("the ceiling is a bare binary COPY of the same rows, already parsed in memory, into the same tables with the same indexes and triggers, in the same run.");
        md.AppendLine();
        md.AppendLine("| | rows | seconds | rows/s | share of ceiling |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| `paju import` (validated) | {result.Written?.Inserted:N0} (+{result.Invalid:N0} reported) | {importTime.TotalSeconds:F1} | {options.Rows / importTime.TotalSeconds:N0} | {ratio * 100:F0}% |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| binary COPY (ceiling) | {rows.Count:N0} | {copyTime.TotalSeconds:F1} | {rows.Count / copyTime.TotalSeconds:N0} | 100% |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Goal ≥ 50% of the ceiling: **{(ratio >= 0.5 ? "met" : "not met")}** ({ratio * 100:F0}%).");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"B. A {bytes / 1e6:F0} MB minified GeoJSON ({features:N0} features) through the real `paju import` process: {geoTime.TotalSeconds:F1} s,");
        md.AppendLine(CultureInfo.InvariantCulture, $"{features / geoTime.TotalSeconds:N0} features/s, **peak RSS {peakMb} MB** (the process's own VmHWM) — the file is read one feature at a time.");
        Report.WriteSection(options.ReportFile, "import", md.ToString());
        Console.WriteLine($"Wrote {options.ReportFile}");
        return 0;
    }

    private static async Task LoadAreasAsync(NpgsqlDataSource db, string folder)
    {
        var data = SharedDataPath();
        var importer = new RegistryImporter(db);
        foreach (var (file, kind) in new[] { ("paju-boundary.geojson", ImportKind.CityOutline), ("paju-emd.geojson", ImportKind.AdminArea) })
        {
            var r = await importer.RunAsync(new ImportRequest(Path.Combine(data, file), kind) { ReportPath = Path.Combine(folder, "areas.csv") }, Actor.System("bench"), null, default);
            if (r.Outcome != ImportOutcome.Applied)
            {
                throw new InvalidOperationException($"{file}: {r.Outcome}");
            }
        }
    }

    private static string SharedDataPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (File.Exists(Path.Combine(candidate, "paju-emd.geojson")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("shared/data with paju-emd.geojson was not found beside the checkout");
    }

    /// <summary>Sites scattered a few hundred metres around the 읍면동 representative points, from a fixed seed.</summary>
    private static List<Row> Generate(int count)
    {
        var random = new Random(BenchRegistry.Seed);
        var units = RepresentativePoints.All;
        string[] places = ["주택단지", "도시공원", "어린이집", "유치원", "초등학교"];
        var rows = new List<Row>(count);
        for (var n = 1; n <= count; n++)
        {
            var unit = units[random.Next(units.Count)];
            var lon = Math.Round(unit.Lon + (random.NextDouble() - 0.5) * 0.006, 7);
            var lat = Math.Round(unit.Lat + (random.NextDouble() - 0.5) * 0.005, 7);
            var date = new DateOnly(1995, 1, 1).AddDays(random.Next(11_000)).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            rows.Add(new Row($"P{n:D8}", $"{unit.Name} 놀이터 {n}", lon, lat, date, places[random.Next(places.Length)],
                $"경기도 파주시 {unit.Name} 벤치로 {n % 500 + 1}", $"경기도 파주시 {unit.Name} {n % 900 + 1}"));
        }
        return rows;
    }

    private static void WriteCsv(string path, List<Row> rows)
    {
        using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        file.WriteLine("pfctSn,pfctNm,zip,ronaAddr,lotnoAddr,instlYmd,instlPlaceCdNm,idrodrCdNm,prvtPblcYnCdNm,rgnCd,latCrtsVl,lotCrtsVl");
        foreach (var r in rows)
        {
            file.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Code},{r.Name},10800,{r.Road},{r.Lot},{r.Date},{r.Place},실외,민간,4148010100,{r.Lat},{r.Lon}"));
        }
    }

    private static async Task<TimeSpan> BareCopyAsync(NpgsqlDataSource db, List<Row> rows)
    {
        var factory = new GeometryFactory(new PrecisionModel(), 4326);
        await using var conn = await db.OpenConnectionAsync();
        var clock = Stopwatch.StartNew();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY asset (kind, code, name, geom, address, source, properties) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync("playground", NpgsqlDbType.Text);
                await copy.WriteAsync(r.Code, NpgsqlDbType.Text);
                await copy.WriteAsync(r.Name, NpgsqlDbType.Text);
                await copy.WriteAsync(factory.CreatePoint(new Coordinate(r.Lon, r.Lat)), NpgsqlDbType.Geometry);
                await copy.WriteAsync(r.Road, NpgsqlDbType.Text);
                await copy.WriteAsync("bench", NpgsqlDbType.Text);
                await copy.WriteAsync("{\"zip\":\"10800\",\"rgnCd\":\"4148010100\"}", NpgsqlDbType.Jsonb);
            }
            await copy.CompleteAsync();
        }
        var ids = new List<long>(rows.Count);
        await using (var cmd = new NpgsqlCommand("SELECT id FROM asset WHERE kind = 'playground' ORDER BY id", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetInt64(0));
            }
        }
        await using (var copy = await conn.BeginBinaryImportAsync(
            "COPY playground (asset_id, facility_no, install_date, install_place, indoor, public_owned, road_address, lot_address) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                await copy.StartRowAsync();
                await copy.WriteAsync(ids[i], NpgsqlDbType.Bigint);
                await copy.WriteAsync(r.Code, NpgsqlDbType.Text);
                await copy.WriteAsync(DateOnly.ParseExact(r.Date, "yyyyMMdd", CultureInfo.InvariantCulture), NpgsqlDbType.Date);
                await copy.WriteAsync(r.Place, NpgsqlDbType.Text);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean);
                await copy.WriteAsync(r.Road, NpgsqlDbType.Text);
                await copy.WriteAsync(r.Lot, NpgsqlDbType.Text);
            }
            await copy.CompleteAsync();
        }
        await tx.CommitAsync();
        return clock.Elapsed;
    }

    /// <summary>Minified FeatureCollection of playgrounds with the registry's fields, until the size is reached.</summary>
    private static long WriteGeoJson(string path, int megabytes)
    {
        var random = new Random(BenchRegistry.Seed + 1);
        var units = RepresentativePoints.All;
        using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        file.Write("{\"type\":\"FeatureCollection\",\"features\":[");
        long n = 0;
        var limit = (long)megabytes * 1_000_000;
        while (file.BaseStream.Position < limit)
        {
            n++;
            var unit = units[random.Next(units.Count)];
            var lon = unit.Lon + (random.NextDouble() - 0.5) * 0.006;
            var lat = unit.Lat + (random.NextDouble() - 0.5) * 0.005;
            file.Write(string.Create(CultureInfo.InvariantCulture,
                $"{(n > 1 ? "," : "")}{{\"type\":\"Feature\",\"properties\":{{\"pfctSn\":\"G{n:D8}\",\"pfctNm\":\"{unit.Name} 놀이터 {n}\",\"ronaAddr\":\"경기도 파주시 {unit.Name} 벤치로 {n % 500 + 1}\",\"instlYmd\":\"20190315\",\"instlPlaceCdNm\":\"주택단지\",\"idrodrCdNm\":\"실외\",\"prvtPblcYnCdNm\":\"민간\",\"zip\":\"10800\"}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lon:F7},{lat:F7}]}}}}"));
        }
        file.Write("]}");
        return n;
    }
}
