using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Seeding;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tiles;

/// <summary>The clusters kept on write always equal what a full recount of the assets gives.</summary>
public sealed class ClusterAggregateTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    // Every cell of every cluster zoom, recounted from scratch from the assets.
    private const string Mismatches = """
        WITH truth AS (
            SELECT z::smallint AS z, kind,
                   floor((ST_X(geom_3857) + 20037508.342789244) / cell)::int AS cx,
                   floor((20037508.342789244 - ST_Y(geom_3857)) / cell)::int AS cy,
                   count(*)::int AS n,
                   (count(*) FILTER (WHERE severity = 1))::int AS n1,
                   (count(*) FILTER (WHERE severity = 2))::int AS n2,
                   (count(*) FILTER (WHERE severity = 3))::int AS n3,
                   round(sum(ST_X(geom_3857))::numeric, 1) AS sx
            FROM asset, generate_series(0, 14) z, LATERAL (SELECT 40075016.685578488 / (16 * 2 ^ z)) g(cell)
            WHERE status = 'active' AND GeometryType(geom_3857) = 'POINT'
            GROUP BY 1, 2, 3, 4
        ), kept AS (
            SELECT z, kind, cx, cy, n, n1, n2, n3, round(sum_x::numeric, 1) AS sx FROM tile_cluster WHERE n <> 0
        )
        SELECT count(*) FROM ((TABLE truth EXCEPT TABLE kept) UNION ALL (TABLE kept EXCEPT TABLE truth)) d
        """;

    [Fact]
    public async Task Cluster_counts_equal_the_rows_they_cover_through_inserts_updates_and_deletes()
    {
        await SampleSeeder.SeedAsync(db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        Assert.Equal(0L, await db.ScalarAsync<long>(Mismatches));
        Assert.Equal(719L, await db.ScalarAsync<long>("SELECT sum(n) FROM tile_cluster WHERE z = 5 AND kind = 'playground'"));

        // Grades change (severity moves between counters), sites move, retire, and disappear.
        await db.ExecuteAsync("UPDATE playground SET grade = '요수리' WHERE facility_no IN ('S000001', 'S000002', 'S000003')");
        await db.ExecuteAsync("UPDATE asset SET geom = ST_Translate(geom, 0.02, 0.01) WHERE code LIKE 'PG-S00001%'");
        await db.ExecuteAsync("UPDATE asset SET status = 'retired', retired_at = now() WHERE code LIKE 'PG-S00002%'");
        // An asset with inspections is retired, never deleted: these bridges' sample history goes first.
        await db.ExecuteAsync("""
            DELETE FROM finding WHERE asset_id IN (SELECT id FROM asset WHERE code LIKE 'PF-BR-00%');
            DELETE FROM inspection_version WHERE inspection_id IN (SELECT i.id FROM inspection i JOIN asset a ON a.id = i.asset_id WHERE a.code LIKE 'PF-BR-00%');
            DELETE FROM inspection WHERE asset_id IN (SELECT id FROM asset WHERE code LIKE 'PF-BR-00%');
            """);
        await db.ExecuteAsync("DELETE FROM asset WHERE code LIKE 'PF-BR-00%'");
        await db.ExecuteAsync("UPDATE public_facility SET safety_grade = 'E' WHERE fms_no LIKE 'SAR%'");

        Assert.Equal(0L, await db.ScalarAsync<long>(Mismatches));
        Assert.Equal(709L, await db.ScalarAsync<long>("SELECT sum(n) FROM tile_cluster WHERE z = 0 AND kind = 'playground'"));
        Assert.True(await db.ScalarAsync<long>("SELECT sum(n3) FROM tile_cluster WHERE z = 0 AND kind = 'public_facility'") >= 40);
    }
}
