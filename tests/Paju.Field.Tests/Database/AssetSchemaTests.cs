using Npgsql;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Database;

public sealed class AssetSchemaTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_playground_must_be_a_point()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom)
            VALUES ('playground', 'PG-LINE', '선 놀이터', ST_GeomFromText('LINESTRING(126.78 37.76, 126.79 37.77)', 4326))
            """));
        Assert.Contains("must be a POINT geometry", error.MessageText);
    }

    [Fact]
    public async Task A_multipolygon_is_accepted_where_a_polygon_is_expected()
    {
        var rows = await db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom)
            VALUES ('cable_zone', 'CZ-MULTI', '구역',
                    ST_GeomFromText('MULTIPOLYGON(((126.78 37.76, 126.79 37.76, 126.79 37.77, 126.78 37.76)))', 4326))
            """);
        Assert.Equal(1, rows);
    }

    [Fact]
    public async Task An_invalid_geometry_is_refused()
    {
        // A bow-tie polygon crosses itself.
        var error = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom)
            VALUES ('cable_zone', 'CZ-BOWTIE', '꼬인 구역',
                    ST_GeomFromText('POLYGON((126.78 37.76, 126.79 37.77, 126.79 37.76, 126.78 37.77, 126.78 37.76))', 4326))
            """));
        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    [Fact]
    public async Task Codes_are_unique_within_a_kind()
    {
        const string insert = """
            INSERT INTO asset (kind, code, name, geom)
            VALUES ('public_facility', 'PF-DUP', '중복', ST_SetSRID(ST_MakePoint(126.78, 37.76), 4326))
            """;
        await db.ExecuteAsync(insert);
        var error = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(insert));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task The_audit_log_cannot_be_rewritten()
    {
        await db.ExecuteAsync("INSERT INTO audit_log (actor, via, action) VALUES ('test', 'system', 'test.write')");
        var update = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("UPDATE audit_log SET actor = 'someone else'"));
        Assert.Contains("append-only", update.MessageText);
        var delete = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("DELETE FROM audit_log"));
        Assert.Contains("append-only", delete.MessageText);
    }
}
