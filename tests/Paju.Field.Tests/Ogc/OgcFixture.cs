using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Seeding;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ogc;

/// <summary>
/// The sample registry behind a running server, plus one asset placed exactly on 문산읍's
/// representative point for the CRS tests. The point is placed from its published EPSG:5179
/// coordinates (936498, 1986143): the domain's 5186 vector was computed from those, and the
/// 5-decimal lat/lon in the same table is only good to about a metre.
/// </summary>
public sealed class OgcFixture(PostgisServer server) : IAsyncLifetime
{
    public const string MunsanCode = "TEST-MUNSAN";
    public const double MunsanLat = 37.87289, MunsanLon = 126.77797;
    public const double MunsanX5179 = 936498, MunsanY5179 = 1986143;

    public TestDatabase Db { get; } = new(server);

    public TestServer Server { get; private set; } = null!;

    public string ViewerToken { get; private set; } = "";

    public long MunsanId { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await SampleSeeder.SeedAsync(Db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        MunsanId = await Db.ScalarAsync<long>("""
            INSERT INTO asset (kind, code, name, geom, source)
            VALUES ('drainage_structure', $1, '문산읍 대표점', ST_Transform(ST_SetSRID(ST_MakePoint($2, $3), 5179), 4326), 'test')
            RETURNING id
            """, MunsanCode, MunsanX5179, MunsanY5179);
        await Db.ExecuteAsync("INSERT INTO drainage_structure (asset_id, structure_type) VALUES ($1, '시험점')", MunsanId);

        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            var viewer = await UserStore.CreateAsync(conn, null, "ogc.viewer", "열람자", Roles.Viewer, "ogc-viewer-password", default);
            ViewerToken = (await ApiTokens.IssueAsync(conn, null, viewer.Id, "test", TimeSpan.FromHours(1), default)).Token;
        }
        Server = await TestServer.StartAsync(Db.ConnectionString);
    }

    public HttpClient Anonymous() => Server.CreateClient();

    public HttpClient SignedIn()
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ViewerToken);
        return client;
    }

    public string OgcUrl => new Uri(Server.BaseAddress, "/ogc").ToString();

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
