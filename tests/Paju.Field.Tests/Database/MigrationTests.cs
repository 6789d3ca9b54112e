using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Assets;
using Paju.Field.Server.Database;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Database;

public sealed class MigrationTests(PostgisServer server) : IAsyncLifetime
{
    private string _connectionString = "";

    public async ValueTask InitializeAsync() => _connectionString = await server.CreateEmptyDatabaseAsync();

    public async ValueTask DisposeAsync() => await server.DropDatabaseAsync(_connectionString);

    [Fact]
    public async Task Migrations_apply_to_an_empty_database_and_are_recorded()
    {
        var applied = await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);

        Assert.Equal(Migrator.All.Count, applied);
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        Assert.Equal(Migrator.LatestVersion, await Migrator.CurrentVersionAsync(conn, default));
        Assert.Equal("3", (await ScalarAsync<string>(conn, "SELECT postgis_lib_version()"))[..1]);
    }

    [Fact]
    public async Task Running_migrations_again_changes_nothing()
    {
        await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);
        var second = await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);
        Assert.Equal(0, second);
    }

    [Fact]
    public async Task Two_processes_migrating_at_once_apply_each_migration_once()
    {
        var results = await Task.WhenAll(
            Migrator.MigrateAsync(_connectionString, NullLogger.Instance),
            Migrator.MigrateAsync(_connectionString, NullLogger.Instance));
        Assert.Equal(Migrator.All.Count, results.Sum());
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_is_refused_with_a_reason()
    {
        await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);
        await using (var conn = new NpgsqlConnection(_connectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("UPDATE schema_migration SET checksum = 'edited' WHERE version = 1", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var error = await Assert.ThrowsAsync<Paju.Field.Server.PajuSetupException>(() => Migrator.MigrateAsync(_connectionString, NullLogger.Instance));
        Assert.Contains("changed after it was applied", error.Message);
    }

    [Fact]
    public async Task Every_asset_kind_is_registered_with_a_geometry_type()
    {
        await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT kind FROM asset_kind ORDER BY sort_order", conn);
        var kinds = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                kinds.Add(reader.GetString(0));
            }
        }
        Assert.Equal(AssetKinds.All, kinds);
    }

    [Theory]
    [InlineData("asset", "geom")]
    [InlineData("admin_area", "geom")]
    public async Task Geometry_columns_are_EPSG_4326_with_a_GiST_index(string table, string column)
    {
        await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        Assert.Equal(4326, await ScalarAsync<int>(conn,
            $"SELECT srid FROM geometry_columns WHERE f_table_name = '{table}' AND f_geometry_column = '{column}'"));
        Assert.Equal(1L, await ScalarAsync<long>(conn, $"""
            SELECT count(*) FROM pg_indexes
            WHERE tablename = '{table}' AND indexdef LIKE '%USING gist ({column})%'
            """));
    }

    [Fact]
    public async Task Times_are_stored_as_timestamptz_everywhere()
    {
        await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        var naive = await ScalarAsync<long>(conn, """
            SELECT count(*) FROM information_schema.columns
            WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'
            """);
        Assert.Equal(0L, naive);
    }

    [Fact]
    public async Task Refused_requests_kept_under_older_topics_are_renamed_to_the_method_and_path_they_were_sent_to()
    {
        await Migrator.MigrateAsync(_connectionString, NullLogger.Instance);
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        // A database from before 0026, holding the topics that release wrote.
        await ScalarAsync<int>(conn, """
            WITH forget AS (DELETE FROM schema_migration WHERE version = 26 RETURNING 1),
                 kept AS (INSERT INTO dead_letter (received_at, topic, reason_code, reason, payload)
                          SELECT now(), t, 'invalid', 'r', '\x00' FROM unnest(ARRAY['api/events/rule', 'api/events', 'api/events/E-1/opinion',
                              'api/events/E-1/confirm_corrections', 'api/events/E-1/plan', 'http:/t/ab12/report', 'http:POST /api/checkins',
                              'paju/v1/ulgok/pump-1/telemetry']) AS t
                          RETURNING 1)
            SELECT (SELECT count(*) FROM forget)::int + (SELECT count(*) FROM kept)::int
            """);

        Assert.Equal(1, await Migrator.MigrateAsync(_connectionString, NullLogger.Instance));
        var topics = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT topic FROM dead_letter ORDER BY id", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                topics.Add(reader.GetString(0));
            }
        }
        Assert.Equal(["http:PUT /api/events/rule", "http:POST /api/events", "http:POST /api/events/E-1/opinions",
            "http:POST /api/events/E-1/confirm-corrections", "http:POST /api/events/E-1/plan", "http:POST /t/ab12/report",
            "http:POST /api/checkins", "paju/v1/ulgok/pump-1/telemetry"], topics);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
