using System.Text.Json;
using Microsoft.Extensions.Logging;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Assets;
using Paju.Field.Server.Audit;

namespace Paju.Field.Server.Seeding;

public sealed record SeedResult(bool AlreadyPresent, IReadOnlyDictionary<string, int> CountsByKind);

/// <summary>
/// <c>paju seed --sample</c>: a deterministic, clearly labelled sample registry with the city's own
/// numbers (domain facts), so the demo and tests show the real shape of the work: 719 playgrounds,
/// 177 public-use facilities (40/91/13/15/3/15), the Ulgok flood district with every work in it,
/// and both aerial-cable zones. Exact sites are unknown, so everything is placed near the
/// representative points of its 읍면동. Shapes are drawn in EPSG:5186 metres, where areas and
/// lengths are true, and stored in EPSG:4326. Every row has is_sample = true and a name starting
/// with [샘플]; <c>--purge-sample</c> removes exactly those rows.
/// </summary>
public static class SampleSeeder
{
    public const string Label = "[샘플]";
    private const int Seed = 20250101;   // fixed: the same sample on every machine
    private const int Srid5186 = 5186;

    public static readonly IReadOnlyDictionary<string, int> PublicFacilityCounts = new Dictionary<string, int>
    {
        [PublicFacilityTypes.Building] = 40,
        [PublicFacilityTypes.Bridge] = 91,
        [PublicFacilityTypes.WaterSewer] = 13,
        [PublicFacilityTypes.RetainingWallSlope] = 15,
        [PublicFacilityTypes.Library] = 3,
        [PublicFacilityTypes.TunnelUnderpass] = 15,
    };

    public const int PlaygroundCount = 719;

    /// <param name="keys">When given, every sample playground also gets a QR plate (its key in this key store).</param>
    public static async Task<SeedResult> SeedAsync(NpgsqlDataSource db, Actor actor, ILogger log, CancellationToken ct, Tags.TagKeyStore? keys = null)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Two seeders at once would both see "no sample yet".
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('paju.seed.sample'))", conn, tx))
        {
            await lockCmd.ExecuteNonQueryAsync(ct);
        }
        var existing = await CountSampleAsync(conn, tx, ct);
        if (existing.Count > 0)
        {
            log.LogInformation("Sample data is already present ({Count} assets); nothing to do", existing.Values.Sum());
            return new SeedResult(true, existing);
        }

        var (areas, outlines) = await SampleGeography.WriteAsync(conn, tx, ct);
        if (areas + outlines > 0)
        {
            log.LogInformation("Sample geography: the city outline and {Areas} 읍면동 (public data; credit: {Credit})", areas, SampleGeography.Attribution);
        }
        var writer = new SampleWriter(conn, tx, await ProjectUnitsAsync(conn, tx, ct), ct);
        var random = new Random(Seed);
        await writer.WriteUlgokAsync();
        await writer.WriteStageStorageAsync();
        await writer.WriteCableZonesAsync();
        await writer.WritePlaygroundsAsync(random);
        await writer.WritePublicFacilitiesAsync(random);
        // Every sample asset in its 읍면동, as an import would place it.
        await using (var place = new NpgsqlCommand("SELECT admin_area_reassign()", conn, tx))
        {
            await place.ExecuteNonQueryAsync(ct);
        }
        var checks = await SampleHistory.WriteAsync(conn, tx, random, DateTimeOffset.UtcNow, actor, ct);
        log.LogInformation("Sample inspection history: {Checks} checks", checks);
        var events = await SampleEvents.WriteAsync(conn, tx, random, DateTimeOffset.UtcNow, actor, ct);
        log.LogInformation("Sample festival and event reviews: {Events} events (56 reviewed in 2023, 55 in 2024, and this season's)", events);
        if (keys is not null)
        {
            var plates = await Tags.TagStore.AddMissingAsync(conn, tx, keys, Assets.AssetKinds.Playground, "qr", actor, null, ct);
            log.LogInformation("Sample plates: {Plates} QR tags", plates);
        }

        var counts = await CountSampleAsync(conn, tx, ct);
        await AuditLog.WriteAsync(conn, tx, actor, "seed.sample", "asset", null, counts, ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Loaded sample data: {Counts}", string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")));
        return new SeedResult(false, counts);
    }

    /// <summary>Removes every sample row (and only those); real registry rows are never touched.</summary>
    public static async Task<int> PurgeAsync(NpgsqlDataSource db, Actor actor, ILogger log, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        int assets;
        // What the sample's history and plates hang on them goes first (inspections, findings, check-ins, tags).
        await using (var history = new NpgsqlCommand("""
            UPDATE event SET inspection_id = NULL WHERE asset_id IN (SELECT id FROM asset WHERE is_sample);
            CREATE TEMP TABLE sample_inspection ON COMMIT DROP AS
                SELECT id FROM inspection WHERE asset_id IN (SELECT id FROM asset WHERE is_sample);
            DELETE FROM finding WHERE inspection_id IN (SELECT id FROM sample_inspection) OR asset_id IN (SELECT id FROM asset WHERE is_sample);
            DELETE FROM follow_up WHERE inspection_id IN (SELECT id FROM sample_inspection) OR asset_id IN (SELECT id FROM asset WHERE is_sample);
            DELETE FROM inspection_photo WHERE inspection_id IN (SELECT id FROM sample_inspection);
            DELETE FROM inspection_version WHERE inspection_id IN (SELECT id FROM sample_inspection);
            DELETE FROM inspection WHERE id IN (SELECT id FROM sample_inspection);
            DELETE FROM checkin WHERE asset_id IN (SELECT id FROM asset WHERE is_sample)
                                   OR tag_id IN (SELECT t.id FROM tag t JOIN asset a ON a.id = t.asset_id WHERE a.is_sample);
            UPDATE tag SET replaced_by = NULL WHERE asset_id IN (SELECT id FROM asset WHERE is_sample);
            DELETE FROM tag WHERE asset_id IN (SELECT id FROM asset WHERE is_sample);
            """, conn, tx))
        {
            await history.ExecuteNonQueryAsync(ct);
        }
        // Children first is not needed: parent_id is ON DELETE SET NULL and kind rows cascade.
        await using (var cmd = new NpgsqlCommand("DELETE FROM asset WHERE is_sample", conn, tx))
        {
            assets = await cmd.ExecuteNonQueryAsync(ct);
        }
        await using (var cmd = new NpgsqlCommand("DELETE FROM admin_area WHERE is_sample", conn, tx))
        {
            assets += await cmd.ExecuteNonQueryAsync(ct);
        }
        await using (var cmd = new NpgsqlCommand("DELETE FROM city_outline WHERE is_sample", conn, tx))
        {
            assets += await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "seed.purge_sample", "asset", null, new { deleted = assets }, ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Removed {Count} sample rows; real data was not touched", assets);
        return assets;
    }

    public static async Task<bool> RegistryIsEmptyAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT NOT EXISTS (SELECT 1 FROM asset)");
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<Dictionary<string, int>> CountSampleAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT kind, count(*)::int FROM asset WHERE is_sample GROUP BY kind ORDER BY kind", conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var counts = new Dictionary<string, int>();
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }
        return counts;
    }

    /// <summary>PostGIS (PROJ) projects the representative points into EPSG:5186; we draw around them in metres.</summary>
    private static async Task<Dictionary<string, Coordinate>> ProjectUnitsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var units = RepresentativePoints.All;
        await using var cmd = new NpgsqlCommand("""
            SELECT ST_X(p), ST_Y(p)
            FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(lon, lat, n),
                 LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 5186) AS p
            ORDER BY n
            """, conn, tx)
        {
            Parameters =
            {
                new() { Value = units.Select(u => u.Lon).ToArray() },
                new() { Value = units.Select(u => u.Lat).ToArray() },
            },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var projected = new Dictionary<string, Coordinate>();
        var i = 0;
        while (await reader.ReadAsync(ct))
        {
            projected[units[i++].Name] = new Coordinate(reader.GetDouble(0), reader.GetDouble(1));
        }
        return projected;
    }

    /// <summary>Writes sample assets; geometry arrives in EPSG:5186 and PostGIS stores it in 4326.</summary>
    private sealed class SampleWriter(NpgsqlConnection conn, NpgsqlTransaction tx, Dictionary<string, Coordinate> units, CancellationToken ct)
    {
        private readonly GeometryFactory _factory = new(new PrecisionModel(), Srid5186);

        public async Task WriteUlgokAsync()
        {
            // 울곡 자연재해위험개선지구, 파평면 울곡리 509 일원 (the address registry spells the village 율곡리).
            // Placed 600 m north of 파평면's representative point, towards the low land by the Imjin.
            var c = Offset(units["파평면"], 0, 600);
            const double districtArea = 279_794;   // m², re-designated in 2024 (from 250,027)
            const double width = 650;
            var district = await InsertAsync(AssetKinds.RiskDistrict, "ULGOK-DISTRICT", "울곡 자연재해위험개선지구",
                Rectangle(c, width, districtArea / width), null, "경기도 파주시 파평면 울곡리 509 일원", new { },
                "risk_district",
                ("risk_type", "침수위험"), ("grade", "나"), ("designated_area_m2", districtArea),
                ("project_start", new DateOnly(2022, 6, 1)), ("project_end", new DateOnly(2026, 6, 30)),
                ("budget_mkrw", 26_500m), ("budget_national_mkrw", 13_250m), ("budget_province_mkrw", 6_373m), ("budget_city_mkrw", 6_877m),
                ("milestones", Json(new[]
                {
                    new { month = "2024-09", event_ko = "1단계 토목·건축·기계 공사 착공" },
                    new { month = "2025-02", event_ko = "2단계 발주" },
                    new { month = "2025-09", event_ko = "전기·통신 공사 발주" },
                    new { month = "2026-06", event_ko = "준공 및 지구 해제 착수" },
                })));

            // 울곡 배수펌프장: 4 submersible pumps D1,650 mm, retention basin 264,157 m³.
            var mainAt = Offset(c, 250, 150);
            var main = await InsertAsync(AssetKinds.PumpStation, "ULGOK-PS1", "울곡 배수펌프장",
                Point(mainAt), district, "경기도 파주시 파평면 율곡리 일원", new { },
                "pump_station", ("station_type", "main"), ("pump_count", 4));
            for (var n = 1; n <= 4; n++)
            {
                await InsertAsync(AssetKinds.Pump, $"ULGOK-PS1-P{n}", $"울곡 배수펌프장 {n}호기",
                    Point(Offset(mainAt, -9 + 6 * (n - 1), -4)), main, null, new { },
                    "pump", ("pump_no", n), ("pump_type", "수중펌프"), ("diameter_mm", 1650));
            }
            await InsertAsync(AssetKinds.RetentionBasin, "ULGOK-RB1", "울곡 유수지",
                Rectangle(Offset(c, 120, 40), 240, 220), main, null, new { },
                "retention_basin", ("capacity_m3", 264_157m));

            // 울곡 간이배수펌프장: 2 submersible pumps D700 mm, storage tank 306 m³.
            var simpleAt = Offset(c, -250, -150);
            var simple = await InsertAsync(AssetKinds.PumpStation, "ULGOK-PS2", "울곡 간이배수펌프장",
                Point(simpleAt), district, "경기도 파주시 파평면 율곡리 일원", new { },
                "pump_station", ("station_type", "simple"), ("pump_count", 2));
            for (var n = 1; n <= 2; n++)
            {
                await InsertAsync(AssetKinds.Pump, $"ULGOK-PS2-P{n}", $"울곡 간이배수펌프장 {n}호기",
                    Point(Offset(simpleAt, -3 + 6 * (n - 1), -4)), simple, null, new { },
                    "pump", ("pump_no", n), ("pump_type", "수중펌프"), ("diameter_mm", 700));
            }
            await InsertAsync(AssetKinds.StorageTank, "ULGOK-ST1", "울곡 저류조",
                Rectangle(Offset(simpleAt, 0, 20), 12, 8.5), simple, null, new { },
                "storage_tank", ("capacity_m3", 306m));

            // 국도37호선 부체도로 배수개선: U-type open channel 128 m (two legs of 64 m) with 8 catch basins.
            var start = Offset(c, -300, -190);
            var bend = Offset(start, 64, 0);
            var channelLine = _factory.CreateLineString([start, bend, Offset(bend, 0, 64)]);
            var channel = await InsertAsync(AssetKinds.DrainageChannel, "ULGOK-CH1", "국도37호선 부체도로 배수로",
                channelLine, district, null, new { },
                "drainage_channel", ("channel_type", "U형 개거"), ("length_m", 128m));
            for (var n = 1; n <= 8; n++)
            {
                var along = 8 + 16 * (n - 1);   // every 16 m along the channel
                var at = along <= 64 ? Offset(start, along, 0) : Offset(bend, 0, along - 64);
                await InsertAsync(AssetKinds.CatchBasin, $"ULGOK-CB{n}", $"부체도로 집수정 {n}",
                    Point(at), channel, null, new { },
                    "catch_basin", ("basin_no", n));
            }

            // 건말소하천 정비: embankment (축제·호안, both banks) L = 666 m, 2 drainage structures.
            var riverStart = Offset(c, -345, -333);
            await InsertAsync(AssetKinds.Embankment, "ULGOK-EMB1", "건말소하천 축제·호안",
                _factory.CreateLineString([riverStart, Offset(riverStart, 0, 666)]), district, null, new { },
                "embankment", ("stream_name", "건말소하천"), ("length_m", 666m), ("banks", "both"));
            for (var n = 1; n <= 2; n++)
            {
                await InsertAsync(AssetKinds.DrainageStructure, $"ULGOK-DS{n}", $"건말소하천 배수구조물 {n}",
                    Point(Offset(riverStart, 0, 222 * n)), district, null, new { },
                    "drainage_structure", ("structure_type", "배수문"));
            }
        }

        /// <summary>
        /// Stage–storage curves whose top equals capacity. The basin is a 40,000 m² floor with sloped
        /// sides, so each metre holds more than the last: V(h) = 40,000·h + 671.03·h², 0–6 m, reaching
        /// 264,157 m³ at 6 m. The tank is a 12 × 8.5 m box, 3 m deep: 102 m² a metre, 306 m³ full.
        /// </summary>
        public async Task WriteStageStorageAsync()
        {
            const double floor = 40_000, slope = (264_157 - 40_000 * 6) / 36.0;
            var basin = Enumerable.Range(0, 13).Select(i => i * 0.5).Select(h => (h, Math.Round(floor * h + slope * h * h, 1))).ToList();
            basin[^1] = (6.0, 264_157);
            await WriteCurveAsync("ULGOK-RB1", basin);
            await WriteCurveAsync("ULGOK-ST1", [.. Enumerable.Range(0, 7).Select(i => i * 0.5).Select(h => (h, h * 102))]);
        }

        private async Task WriteCurveAsync(string assetCode, IReadOnlyList<(double Level, double Volume)> points)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO stage_storage (asset_id, level_m, volume_m3)
                SELECT a.id, p.level, p.volume FROM asset a, unnest($2::numeric[], $3::numeric[]) AS p(level, volume)
                WHERE a.code = $1
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = assetCode });
            cmd.Parameters.Add(new() { Value = points.Select(p => (decimal)p.Level).ToArray() });
            cmd.Parameters.Add(new() { Value = points.Select(p => (decimal)p.Volume).ToArray() });
            await cmd.ExecuteNonQueryAsync(ct);
        }

        public async Task WriteCableZonesAsync()
        {
            // 2025: 새꽃로 140 일원, 0.174 km², operators pay 100% (1,000 million KRW); placed by 금촌1동.
            await InsertAsync(AssetKinds.CableZone, "CABLE-2025", "2025 공중케이블 정비구역 (새꽃로 140 일원)",
                Rectangle(Offset(units["금촌1동"], 150, 200), 435, 174_000.0 / 435), null, "경기도 파주시 새꽃로 140 일원",
                new { note_ko = "노후주택 60% 밀집, 초등학교 통학로" },
                "cable_zone", ("zone_year", 2025), ("lifecycle", "in_works"), ("area_km2", 0.174m),
                ("works_start", new DateOnly(2025, 4, 1)), ("works_end", new DateOnly(2025, 11, 30)),
                ("budget_mkrw", 1_000m), ("funding", "통신사업자 100%"), ("selected_on", new DateOnly(2025, 1, 1)));
            // 2024 (done): 금촌동 73-17 일원, 0.35 km²; applied 2024-01, selected 2024-05, completed 2024-12.
            await InsertAsync(AssetKinds.CableZone, "CABLE-2024", "2024 공중케이블 정비구역 (금촌동 73-17 일원)",
                Rectangle(Offset(units["금촌2동"], -250, -250), 700, 350_000.0 / 700), null, "경기도 파주시 금촌동 73-17 일원",
                new { },
                "cable_zone", ("zone_year", 2024), ("lifecycle", "done"), ("area_km2", 0.35m),
                ("applied_on", new DateOnly(2024, 1, 1)), ("selected_on", new DateOnly(2024, 5, 1)),
                ("completed_on", new DateOnly(2024, 12, 31)), ("funding", "통신사업자"));
        }

        public async Task WritePlaygroundsAsync(Random random)
        {
            string[] places = ["주택단지", "주택단지", "주택단지", "도시공원", "도시공원", "어린이집", "유치원", "초등학교", "식품접객업소", "놀이제공영업소"];
            // Most sites pass their monthly check; a few need attention, and one in a hundred is closed.
            string[] grades = [.. Enumerable.Repeat("양호", 85), .. Enumerable.Repeat("요주의", 9), .. Enumerable.Repeat("요수리", 5), "이용금지"];
            var perUnit = Allocate(PlaygroundCount, RepresentativePoints.All.Select(u => u.PlaygroundWeight).ToArray());
            var serial = 0;
            for (var u = 0; u < perUnit.Length; u++)
            {
                var unit = RepresentativePoints.All[u];
                for (var i = 0; i < perUnit[u]; i++)
                {
                    serial++;
                    var at = Scatter(random, units[unit.Name], unit.Spread);
                    var place = places[random.Next(places.Length)];
                    var installed = new DateOnly(1996, 1, 1).AddDays(random.Next(0, 28 * 365));
                    var facilityNo = $"S{serial:D6}";
                    await InsertAsync(AssetKinds.Playground, $"PG-{facilityNo}", $"{unit.Name} {place} 놀이터 {i + 1:D3}",
                        Point(at), null, $"경기도 파주시 {unit.Name}", new { near_unit = unit.Name, near_unit_code = unit.Code },
                        "playground",
                        ("facility_no", facilityNo), ("install_date", installed), ("install_place", place),
                        ("indoor", place is "식품접객업소" or "놀이제공영업소"), ("public_owned", place is "도시공원" or "초등학교"),
                        ("grade", grades[random.Next(grades.Length)]));
                }
            }
        }

        public async Task WritePublicFacilitiesAsync(Random random)
        {
            var prefixes = new Dictionary<string, string>
            {
                [PublicFacilityTypes.Building] = "AR", [PublicFacilityTypes.Bridge] = "BR", [PublicFacilityTypes.WaterSewer] = "WS",
                [PublicFacilityTypes.RetainingWallSlope] = "RW", [PublicFacilityTypes.Library] = "LB", [PublicFacilityTypes.TunnelUnderpass] = "TU",
            };
            string[] grades = ["A", "B", "B", "B", "C", "C", "D"];
            foreach (var (type, count) in PublicFacilityCounts)
            {
                for (var n = 1; n <= count; n++)
                {
                    var unit = RepresentativePoints.All[random.Next(RepresentativePoints.All.Count)];
                    var at = Scatter(random, units[unit.Name], unit.Spread * 1.2);
                    var year = random.Next(1975, 2024);
                    var code = $"PF-{prefixes[type]}-{n:D3}";
                    await InsertAsync(AssetKinds.PublicFacility, code, $"{unit.Name} {PublicFacilityTypes.KoreanNames[type]} {n:D3}",
                        Point(at), null, $"경기도 파주시 {unit.Name}", new { near_unit = unit.Name, near_unit_code = unit.Code },
                        "public_facility",
                        ("facility_type", type), ("fms_no", $"S{prefixes[type]}{year}-{n:D7}"),
                        ("facility_class", random.Next(4) == 0 ? "2종" : "3종"), ("safety_grade", grades[random.Next(grades.Length)]),
                        ("completed_year", year), ("owning_department", type == PublicFacilityTypes.Library ? "도서관정책과" : "안전총괄과"));
                }
            }
        }

        private async Task<long> InsertAsync(
            string kind, string code, string name, Geometry geometry5186, long? parentId, string? address, object properties,
            string kindTable, params (string Column, object Value)[] kindColumns)
        {
            var columns = string.Join(", ", kindColumns.Select(c => c.Column));
            var values = string.Join(", ", kindColumns.Select((_, i) => $"${i + 8}"));
            await using var cmd = new NpgsqlCommand($"""
                WITH a AS (
                    INSERT INTO asset (kind, code, name, geom, parent_id, address, properties, is_sample, source)
                    VALUES ($1, $2, $3, ST_Transform($4, 4326), $5, $6, $7, true, 'sample')
                    RETURNING id
                )
                INSERT INTO {kindTable} (asset_id, {columns}) SELECT id, {values} FROM a
                RETURNING asset_id
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = kind });
            cmd.Parameters.Add(new() { Value = code });
            cmd.Parameters.Add(new() { Value = $"{Label} {name}" });
            cmd.Parameters.Add(new() { Value = geometry5186 });
            cmd.Parameters.Add(new() { Value = (object?)parentId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            cmd.Parameters.Add(new() { Value = (object?)address ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(properties), NpgsqlDbType = NpgsqlDbType.Jsonb });
            foreach (var (_, value) in kindColumns)
            {
                cmd.Parameters.Add(value is JsonText json
                    ? new NpgsqlParameter { Value = json.Text, NpgsqlDbType = NpgsqlDbType.Jsonb }
                    : new NpgsqlParameter { Value = value });
            }
            return (long)(await cmd.ExecuteScalarAsync(ct))!;
        }

        private Point Point(Coordinate at) => _factory.CreatePoint(at);

        private Polygon Rectangle(Coordinate centre, double width, double height)
        {
            var (x, y, w, h) = (centre.X, centre.Y, width / 2, height / 2);
            return _factory.CreatePolygon([new(x - w, y - h), new(x + w, y - h), new(x + w, y + h), new(x - w, y + h), new(x - w, y - h)]);
        }

        private static Coordinate Offset(Coordinate c, double east, double north) => new(c.X + east, c.Y + north);

        /// <summary>A normally distributed point around a centre, cut at two sigmas so no site strays far.</summary>
        private static Coordinate Scatter(Random random, Coordinate centre, double sigma)
        {
            double Next()
            {
                double value;
                do
                {
                    // Box–Muller
                    value = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                } while (Math.Abs(value) > 2);
                return value * sigma;
            }
            return Offset(centre, Next(), Next());
        }

        private static JsonText Json(object value) => new(JsonSerializer.Serialize(value));
    }

    private sealed record JsonText(string Text);

    /// <summary>Splits a total by weights with the largest-remainder method, so the parts add up exactly.</summary>
    internal static int[] Allocate(int total, int[] weights)
    {
        var sum = weights.Sum();
        var exact = weights.Select(w => (double)total * w / sum).ToArray();
        var parts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        foreach (var i in exact.Select((e, i) => (remainder: e - Math.Floor(e), i)).OrderByDescending(x => x.remainder).ThenBy(x => x.i)
                     .Take(total - parts.Sum()).Select(x => x.i))
        {
            parts[i]++;
        }
        return parts;
    }
}
