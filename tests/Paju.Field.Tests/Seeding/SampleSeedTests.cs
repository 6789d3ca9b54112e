using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Seeding;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Seeding;

/// <summary>The sample registry carries the city's own numbers (domain facts) and lands inside Paju.</summary>
public sealed class SampleSeedTests(SampleSeedTests.SeededDatabase seeded) : IClassFixture<SampleSeedTests.SeededDatabase>
{
    public sealed class SeededDatabase(PostgisServer server) : IAsyncLifetime
    {
        public TestDatabase Db { get; } = new(server);

        public SeedResult Result { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            await Db.InitializeAsync();
            Result = await SampleSeeder.SeedAsync(Db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        }

        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }

    private TestDatabase Db => seeded.Db;

    [Fact]
    public async Task There_are_exactly_719_playgrounds_each_with_a_national_facility_number()
    {
        Assert.Equal(719L, await Db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE kind = 'playground'"));
        Assert.Equal(719L, await Db.ScalarAsync<long>("SELECT count(DISTINCT facility_no) FROM playground"));
    }

    [Theory]
    [InlineData("building", 40)]
    [InlineData("bridge", 91)]
    [InlineData("water_sewer", 13)]
    [InlineData("retaining_wall_slope", 15)]
    [InlineData("library", 3)]
    [InlineData("tunnel_underpass", 15)]
    public async Task Public_use_facilities_have_the_citys_breakdown(string type, long count)
    {
        Assert.Equal(count, await Db.ScalarAsync<long>("SELECT count(*) FROM public_facility WHERE facility_type = $1", type));
        Assert.Equal(177L, await Db.ScalarAsync<long>("SELECT count(*) FROM public_facility"));
    }

    [Fact]
    public async Task The_Ulgok_district_measures_279794_square_metres_in_EPSG_5186()
    {
        var area = await Db.ScalarAsync<double>(
            "SELECT ST_Area(ST_Transform(geom, 5186)) FROM asset WHERE kind = 'risk_district' AND code = 'ULGOK-DISTRICT'");
        Assert.InRange(area, 279_794 * 0.995, 279_794 * 1.005);
        Assert.Equal(279_794m, await Db.ScalarAsync<decimal>("SELECT designated_area_m2 FROM risk_district"));
        Assert.Equal("나", await Db.ScalarAsync<string>("SELECT grade FROM risk_district"));
        Assert.Equal(26_500m, await Db.ScalarAsync<decimal>("SELECT budget_mkrw FROM risk_district"));
        Assert.Equal(4, await Db.ScalarAsync<int>("SELECT jsonb_array_length(milestones) FROM risk_district"));
    }

    [Theory]
    [InlineData("ULGOK-PS1", "main", 4, 1650)]
    [InlineData("ULGOK-PS2", "simple", 2, 700)]
    public async Task Each_pump_station_has_its_pumps(string station, string type, int pumps, int diameter)
    {
        Assert.Equal(type, await Db.ScalarAsync<string>(
            "SELECT s.station_type FROM pump_station s JOIN asset a ON a.id = s.asset_id WHERE a.code = $1", station));
        Assert.Equal((long)pumps, await Db.ScalarAsync<long>("""
            SELECT count(*) FROM pump p JOIN asset a ON a.id = p.asset_id JOIN asset s ON s.id = a.parent_id
            WHERE s.code = $1 AND p.diameter_mm = $2 AND p.pump_type = '수중펌프'
            """, station, diameter));
    }

    [Fact]
    public async Task Basin_and_tank_capacities_are_the_citys()
    {
        Assert.Equal(264_157m, await Db.ScalarAsync<decimal>("SELECT capacity_m3 FROM retention_basin"));
        Assert.Equal(306m, await Db.ScalarAsync<decimal>("SELECT capacity_m3 FROM storage_tank"));
    }

    [Theory]
    [InlineData("drainage_channel", 128)]
    [InlineData("embankment", 666)]
    public async Task Lines_measure_their_length_in_EPSG_5186(string kind, double metres)
    {
        var length = await Db.ScalarAsync<double>("SELECT ST_Length(ST_Transform(geom, 5186)) FROM asset WHERE kind = $1", kind);
        Assert.InRange(length, metres * 0.995, metres * 1.005);
    }

    [Fact]
    public async Task The_channel_has_8_catch_basins_and_the_river_2_drainage_structures()
    {
        Assert.Equal(8L, await Db.ScalarAsync<long>(
            "SELECT count(*) FROM asset c JOIN asset ch ON ch.id = c.parent_id WHERE c.kind = 'catch_basin' AND ch.kind = 'drainage_channel'"));
        Assert.Equal(2L, await Db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE kind = 'drainage_structure'"));
        Assert.Equal("both", await Db.ScalarAsync<string>("SELECT banks FROM embankment"));
    }

    [Theory]
    [InlineData("CABLE-2025", 0.174, "in_works")]
    [InlineData("CABLE-2024", 0.35, "done")]
    public async Task Cable_zones_have_their_area_and_lifecycle(string code, double km2, string lifecycle)
    {
        var area = await Db.ScalarAsync<double>("SELECT ST_Area(ST_Transform(geom, 5186)) / 1e6 FROM asset WHERE code = $1", code);
        Assert.InRange(area, km2 * 0.99, km2 * 1.01);
        Assert.Equal(lifecycle, await Db.ScalarAsync<string>(
            "SELECT z.lifecycle FROM cable_zone z JOIN asset a ON a.id = z.asset_id WHERE a.code = $1", code));
    }

    [Fact]
    public async Task Every_sample_asset_lies_inside_the_real_Paju_boundary()
    {
        var boundary = ReadBoundaryGeoJson();
        var outside = await Db.ScalarAsync<long>(
            "SELECT count(*) FROM asset WHERE NOT ST_Within(geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))", boundary);
        Assert.Equal(0L, outside);
    }

    [Fact]
    public async Task Every_sample_row_is_labelled_as_sample()
    {
        Assert.Equal(0L, await Db.ScalarAsync<long>(
            "SELECT count(*) FROM asset WHERE NOT is_sample OR source <> 'sample' OR name NOT LIKE '[샘플] %'"));
    }

    [Fact]
    public async Task Seeding_again_adds_nothing()
    {
        var before = await Db.ScalarAsync<long>("SELECT count(*) FROM asset");
        var again = await SampleSeeder.SeedAsync(Db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        Assert.True(again.AlreadyPresent);
        Assert.Equal(before, await Db.ScalarAsync<long>("SELECT count(*) FROM asset"));
    }

    [Fact]
    public async Task The_sample_is_the_same_on_every_run()
    {
        const string fingerprint = "SELECT md5(string_agg(kind || code || name || ST_AsText(geom), '|' ORDER BY kind, code)) FROM asset";
        var other = new TestDatabase(Db.Server);
        await other.InitializeAsync();
        try
        {
            await SampleSeeder.SeedAsync(other.DataSource, Actor.System("test"), NullLogger.Instance, default);
            Assert.Equal(await Db.ScalarAsync<string>(fingerprint), await other.ScalarAsync<string>(fingerprint));
        }
        finally
        {
            await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task Seeding_is_audited()
    {
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'seed.sample' AND actor = 'system:test'"));
    }

    [Fact]
    public async Task The_city_outline_and_its_17_areas_come_with_the_sample_and_every_asset_is_in_its_area()
    {
        Assert.Equal(17L, await Db.ScalarAsync<long>("SELECT count(*) FROM admin_area WHERE is_sample AND properties->>'attribution' LIKE '%공공누리 제1유형%'"));
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM city_outline WHERE is_sample AND name = '파주시'"));
        // The shipped outline is the reference boundary itself (671.7 km²), not a drawing of it.
        Assert.True(await Db.ScalarAsync<bool>("SELECT ST_Equals(geom, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))) FROM city_outline", ReadBoundaryGeoJson()));
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE admin_area_code IS NULL"));
        Assert.Equal(0L, await Db.ScalarAsync<long>("""
            SELECT count(*) FROM asset a JOIN admin_area z ON z.code = a.admin_area_code
            WHERE ST_Dimension(a.geom) = 0 AND NOT ST_Intersects(z.geom, a.geom)
            """));
    }

    [Fact]
    public async Task The_festival_reviews_history_is_the_citys_56_in_2023_and_55_in_2024_with_no_accident()
    {
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        var years = await Paju.Field.Server.Events.EventReports.YearsAsync(conn, 2023, 2024, default);
        Assert.Equal([56L, 55L], years.Select(y => y.Reviewed));
        Assert.All(years, y =>
        {
            Assert.Equal(0L, y.Accidents);
            Assert.Equal(y.Reviewed, y.JointInspections);
            Assert.Equal(y.Findings, y.FindingsConfirmed);   // every finding of the history was corrected and confirmed
            Assert.True(y.Findings > 0);
        });
        // Findings by item: the joint inspection's items, adding up to the year's findings.
        var byItem = await Paju.Field.Server.Events.EventReports.FindingsAsync(conn, 2023, 2024, default);
        Assert.All(years, y => Assert.Equal(y.Findings, byItem.Where(i => i.Year == y.Year).Sum(i => i.Count)));
        Assert.Contains(byItem, i => i.Item == "crowd" && i.Label == "인파 관리 (밀집도, 동선, 통제선)");
        // And this season: an event whose plan is overdue, one under way, one that needs no review.
        Assert.Equal(1L, await Db.ScalarAsync<long>("""
            SELECT count(*) FROM event WHERE review_required AND state = 'registered' AND plan_due_on < (now() AT TIME ZONE 'Asia/Seoul')::date
            """));
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM event WHERE starts_at < now() AND ends_at > now()"));
        Assert.True(await Db.ScalarAsync<long>("SELECT count(*) FROM event WHERE NOT review_required AND starts_at > now()") >= 1);
    }

    [Fact]
    public void Largest_remainder_allocation_adds_up_exactly()
    {
        var parts = SampleSeeder.Allocate(719, [45, 12, 10, 28, 10, 12, 8, 5, 7, 1, 18, 30, 15, 45, 40, 30, 45, 35, 40, 30]);
        Assert.Equal(719, parts.Sum());
        Assert.All(parts, p => Assert.True(p >= 1));
    }

    private static string ReadBoundaryGeoJson()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(SharedData.Path("paju-boundary.geojson")));
        return document.RootElement.GetProperty("features")[0].GetProperty("geometry").GetRawText();
    }
}

/// <summary>Purging the sample leaves real data alone.</summary>
public sealed class SamplePurgeTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Purge_removes_every_sample_row_and_no_real_one()
    {
        await db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom, source)
            VALUES ('playground', 'PG-REAL-1', '실제 놀이터', ST_SetSRID(ST_MakePoint(126.7797, 37.7603), 4326), 'registry')
            """);
        await SampleSeeder.SeedAsync(db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM asset") > 900);

        var deleted = await SampleSeeder.PurgeAsync(db.DataSource, Actor.System("test"), NullLogger.Instance, default);

        Assert.True(deleted > 900);
        Assert.Equal("PG-REAL-1", await db.ScalarAsync<string>("SELECT string_agg(code, ',') FROM asset"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM playground"));   // kind rows went with their assets
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE action = 'seed.purge_sample'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT (SELECT count(*) FROM admin_area) + (SELECT count(*) FROM city_outline)"));
    }
}

/// <summary>A city's own boundaries win over the sample's: loaded first they keep the sample's away; imported later they adopt its rows.</summary>
public sealed class SampleGeographyTests(PostgisServer server)
{
    [Fact]
    public async Task A_city_that_loaded_its_own_areas_keeps_them_and_an_import_over_the_sample_makes_them_real()
    {
        await using var scope = await Import.ImportScope.CreateAsync(server);
        await scope.Db.ExecuteAsync("""
            INSERT INTO admin_area (code, name, area_type, geom, source)
            VALUES ('4148099000', '시험동', 'dong', ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(126.78, 37.76), 4326), 0.01)), 'city');
            """);
        await SampleSeeder.SeedAsync(scope.Db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        Assert.Equal("시험동", await scope.Db.ScalarAsync<string>("SELECT string_agg(name, ',') FROM admin_area"));
        Assert.Equal(1L, await scope.Db.ScalarAsync<long>("SELECT count(*) FROM city_outline WHERE is_sample"));   // no outline of its own yet

        Import.ImportScope.AssertApplied(await scope.ImportAsync(SharedData.Path("paju-boundary.geojson"), Server.Import.ImportKind.CityOutline));
        Assert.Equal(0L, await scope.Db.ScalarAsync<long>("SELECT count(*) FROM city_outline WHERE is_sample"));
        await SampleSeeder.PurgeAsync(scope.Db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        Assert.Equal(1L, await scope.Db.ScalarAsync<long>("SELECT count(*) FROM city_outline"));
        Assert.Equal(1L, await scope.Db.ScalarAsync<long>("SELECT count(*) FROM admin_area"));
    }
}
