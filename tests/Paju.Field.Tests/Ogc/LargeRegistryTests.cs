using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Paju.Field.Assets;
using Paju.Field.Server.Ogc;
using Paju.Field.Tests.Harness;
using Paju.Field.Tests.Tiles;

namespace Paju.Field.Tests.Ogc;

/// <summary>
/// 100,000 playgrounds from a fixed seed: one in ten packed into 2 × 2 km around 금촌 — denser than any part of
/// the city, so the tiles there are the worst case — and the rest spread over the city's extent.
/// </summary>
public sealed class LargeRegistryFixture(PostgisServer postgis) : IAsyncLifetime
{
    public const int Count = 100_000;
    public const double DenseLon = 126.78, DenseLat = 37.76;

    public TestDatabase Db { get; } = new(postgis);

    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await using var generate = new Npgsql.NpgsqlCommand($$"""
                SELECT setseed(0.42);
                WITH a AS (
                    INSERT INTO asset (kind, code, name, geom, source, properties)
                    SELECT 'playground', 'PG-T' || lpad(n::text, 7, '0'), '시험 놀이터 ' || n,
                           CASE WHEN n % 10 = 0
                                THEN ST_SetSRID(ST_MakePoint({{DenseLon}} + (random() - 0.5) * 0.02, {{DenseLat}} + (random() - 0.5) * 0.02), 4326)
                                ELSE ST_SetSRID(ST_MakePoint(126.68 + random() * 0.3, 37.70 + random() * 0.25), 4326) END,
                           'test', '{}'
                    FROM generate_series(1, {{Count}}) n ORDER BY n
                    RETURNING id, code
                )
                INSERT INTO playground (asset_id, facility_no, install_place, grade)
                SELECT a.id, 'T' || substr(a.code, 5), '도시공원', '양호' FROM a;
                """, conn) { CommandTimeout = 600 };
            await generate.ExecuteNonQueryAsync();
            // VACUUM too: with the visibility map set, the buffer counts compared below do not depend on whether autovacuum
            // happened to visit the table between two plans (it did once, in a full run on a busy machine).
            foreach (var table in new[] { "asset", "playground" })
            {
                await using var vacuum = new Npgsql.NpgsqlCommand($"VACUUM ANALYZE {table}", conn) { CommandTimeout = 600 };
                await vacuum.ExecuteNonQueryAsync();
            }
            // A DBA's defaults that invite parallel plans for everything: the server must not depend on them.
            var database = new Npgsql.NpgsqlConnectionStringBuilder(Db.ConnectionString).Database;
            await using var invite = new Npgsql.NpgsqlCommand($"""
                ALTER DATABASE "{database}" SET parallel_setup_cost = 0;
                ALTER DATABASE "{database}" SET parallel_tuple_cost = 0;
                ALTER DATABASE "{database}" SET min_parallel_table_scan_size = 0;
                ALTER DATABASE "{database}" SET min_parallel_index_scan_size = 0;
                """, conn);
            await invite.ExecuteNonQueryAsync();
        }
        Npgsql.NpgsqlConnection.ClearAllPools();
        Server = await TestServer.StartAsync(Db.ConnectionString, new Dictionary<string, string?> { ["Paju:Tiles:CacheEnabled"] = "false" });
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}

/// <summary>At 100,000 assets: a deep page costs what the first does, and the same data always gives the same tile bytes.</summary>
public sealed class LargeRegistryTests(LargeRegistryFixture registry) : IClassFixture<LargeRegistryFixture>
{
    // The dense area: its 10,000 packed playgrounds and about 500 of the spread ones.
    private const string Bbox = "126.770,37.750,126.790,37.770";

    private static async Task<(long IndexRows, long Buffers, long KindRows, long ProbeRows)> PlanAsync(Npgsql.NpgsqlDataSource db, Dictionary<string, StringValues> query)
    {
        var collection = OgcCatalog.Find(AssetKinds.Playground)!;
        var (request, error) = ItemsRequest.Parse(new QueryCollection(query), collection);
        Assert.True(request is not null, error);
        await using var conn = await db.OpenConnectionAsync();
        await using (var settings = new Npgsql.NpgsqlCommand("SET max_parallel_workers_per_gather = 0", conn))
        {
            await settings.ExecuteNonQueryAsync();
        }
        await using var page = FeatureQueries.PageCommand(collection, request, conn);
        page.CommandText = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + page.CommandText;
        using var plan = JsonDocument.Parse((string)(await page.ExecuteScalarAsync())!);
        long indexRows = 0, kindRows = 0, probeRows = 0;
        void Walk(JsonElement node, bool inProbe = false)
        {
            var type = node.GetProperty("Node Type").GetString()!;
            var rows = (long)(node.GetProperty("Actual Rows").GetDouble() * node.GetProperty("Actual Loops").GetDouble());
            // The "is there a previous page" probe is an InitPlan of the same statement: counted apart.
            inProbe |= node.TryGetProperty("Parent Relationship", out var relationship) && relationship.GetString() is "InitPlan" or "SubPlan";
            if (type.Contains("Index", StringComparison.Ordinal))
            {
                if (inProbe)
                {
                    probeRows += rows;
                }
                else
                {
                    indexRows += rows;
                }
            }
            if (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "playground")
            {
                kindRows += rows;
            }
            if (node.TryGetProperty("Plans", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    Walk(child, inProbe);
                }
            }
        }
        var root = plan.RootElement[0].GetProperty("Plan");
        Walk(root);
        var buffers = root.GetProperty("Shared Hit Blocks").GetInt64() + root.GetProperty("Shared Read Blocks").GetInt64();
        return (indexRows, buffers, kindRows, probeRows);
    }

    [Fact]
    public async Task Page_fifty_of_a_twelve_thousand_match_bbox_reads_no_more_than_page_one()
    {
        var matches = await registry.Db.ScalarAsync<long>($"SELECT count(*) FROM asset WHERE kind = 'playground' AND ST_Intersects(geom, ST_MakeEnvelope({Bbox}, 4326))");
        Assert.InRange(matches, 10_000, 14_000);
        var after = await registry.Db.ScalarAsync<long>(
            $"SELECT id FROM asset WHERE kind = 'playground' AND ST_Intersects(geom, ST_MakeEnvelope({Bbox}, 4326)) ORDER BY id OFFSET 489 LIMIT 1");

        var first = await PlanAsync(registry.Db.DataSource, new() { ["bbox"] = Bbox, ["limit"] = "10" });
        var fiftieth = await PlanAsync(registry.Db.DataSource, new() { ["bbox"] = Bbox, ["limit"] = "10", ["after"] = after.ToString() });

        // The kind table is read for the page's ids only, on any page.
        Assert.InRange(first.KindRows, 1, 11);
        Assert.InRange(fiftieth.KindRows, 1, 11);
        Assert.True(fiftieth.IndexRows <= first.IndexRows, $"page 50 read {fiftieth.IndexRows} index entries, page 1 {first.IndexRows}");
        Assert.InRange(fiftieth.ProbeRows, 0, 100);   // "is there a previous page" stops at its first match, not at the bound
        // Buffers depend on which heap pages a page's ten rows sit on (about 270 either way here); reading up to the bound, as
        // before the keyset fix, cost tens of thousands. A quarter more than page 1 is the same cost.
        Assert.True(fiftieth.Buffers <= first.Buffers * 5 / 4 + 16, $"page 50 touched {fiftieth.Buffers} buffers, page 1 {first.Buffers}");
    }

    [Fact]
    public async Task The_densest_z14_tile_is_drawn_as_clusters_of_every_point_in_it()
    {
        using var client = registry.Server.CreateClient();
        var (x, y) = TileMath.TileOf(LargeRegistryFixture.DenseLon, LargeRegistryFixture.DenseLat, 14);
        var bytes = await client.GetByteArrayAsync($"/tiles/all/14/{x}/{y}.mvt");

        var playgrounds = MvtReader.Read(bytes).Single(l => l.Name == "playground").Features;
        Assert.All(playgrounds, f => Assert.Equal(true, f.Properties["cluster"]));
        Assert.True(playgrounds.Sum(f => Convert.ToInt64(f.Properties["count"])) > Paju.Field.Server.Tiles.TileCatalog.DenseTileFeatures);
        Assert.True(bytes.Length <= 50 * 1024, $"z14 tile is {bytes.Length:N0} B");
    }

    [Theory]
    [InlineData(15)]
    [InlineData(16)]
    public async Task The_densest_tiles_stay_under_500_KB_with_names_only_from_z16(int z)
    {
        using var client = registry.Server.CreateClient();
        var (x, y) = TileMath.TileOf(LargeRegistryFixture.DenseLon, LargeRegistryFixture.DenseLat, z);
        var bytes = await client.GetByteArrayAsync($"/tiles/all/{z}/{x}/{y}.mvt");

        Assert.True(bytes.Length <= 500 * 1024, $"z{z} tile is {bytes.Length:N0} B");
        var playgrounds = MvtReader.Read(bytes).Single(l => l.Name == "playground").Features;
        Assert.True(playgrounds.Count > 500, $"z{z}: only {playgrounds.Count} playgrounds — not the dense area");
        Assert.All(playgrounds, f => Assert.True(f.Properties.ContainsKey("code") && f.Properties.ContainsKey("severity") && f.Properties.ContainsKey("grade")));
        Assert.Equal(z >= 16, playgrounds[0].Properties.ContainsKey("name"));
    }

    [Fact]
    public async Task The_servers_sessions_turn_off_parallel_query_and_JIT_whatever_the_database_defaults()
    {
        var server = registry.Server.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        await using var cmd = server.CreateCommand("SELECT current_setting('max_parallel_workers_per_gather') || ' ' || current_setting('jit') || ' ' || current_setting('parallel_setup_cost')");
        // The database invites parallel plans (setup cost 0); the server's own sessions decline them.
        Assert.Equal("0 off 0", (string)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Twenty_uncached_renders_of_a_dense_tile_are_byte_identical_whatever_the_database_defaults()
    {
        using var client = registry.Server.CreateClient();
        // The densest tile of single points (z14's is drawn as clusters): where a parallel ST_AsMVT would repeat its keys.
        var (x, y) = TileMath.TileOf(LargeRegistryFixture.DenseLon, LargeRegistryFixture.DenseLat, 15);
        var hashes = new HashSet<string>();
        var etags = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync($"/tiles/all/15/{x}/{y}.mvt");
            response.EnsureSuccessStatusCode();
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.True(bytes.Length > 50_000, $"the tile is not dense: {bytes.Length} B");
            hashes.Add(Convert.ToHexString(SHA256.HashData(bytes)));
            etags.Add(response.Headers.ETag!.Tag);
        }
        Assert.Single(hashes);
        Assert.Single(etags);
    }
}
