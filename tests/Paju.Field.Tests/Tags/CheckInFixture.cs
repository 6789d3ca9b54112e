using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Tags;
using Paju.Field.Tags;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tags;

/// <summary>
/// A playground (a point) and a drainage channel (a 400 m line) with plates, two inspectors, a key file of
/// the test's own, and the server with its embedded broker — so check-ins arrive by HTTP and MQTT alike.
/// </summary>
public sealed class CheckInFixture(PostgisServer server) : IAsyncLifetime
{
    public const string BaseUrl = "https://field.example.test";
    public const double PlaygroundLat = 37.7599, PlaygroundLon = 126.7802;
    // The channel runs west–east along 37.7700 between these two vertices (about 400 m apart).
    public const double ChannelLat = 37.7700, ChannelWestLon = 126.7780, ChannelEastLon = 126.7825;
    public const string Site = "playground-gate";

    private readonly string _directory = TempDirectory.Create("paju-tags-");

    public TestDatabase Db { get; } = new(server);

    public TestServer Server { get; private set; } = null!;

    public TagKeyStore Keys { get; private set; } = null!;

    public int MqttPort { get; private set; }

    public Tag PlaygroundQr { get; private set; } = null!;

    public Tag ChannelQr { get; private set; } = null!;

    public string InspectorToken { get; private set; } = "";

    public string OtherInspectorToken { get; private set; } = "";

    public string OperatorToken { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        Keys = new TagKeyStore(Path.Combine(_directory, "keys", "tags.json"));
        await Db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom) VALUES
              ('playground', 'PG-T0001', '체크인 시험 놀이터', ST_SetSRID(ST_MakePoint({PlaygroundLon}, {PlaygroundLat}), 4326)),
              ('drainage_channel', 'CH-T01', '체크인 시험 배수로',
               ST_SetSRID(ST_MakeLine(ST_MakePoint({ChannelWestLon}, {ChannelLat}), ST_MakePoint({ChannelEastLon}, {ChannelLat})), 4326))
            """);
        PlaygroundQr = await AddTagAsync("PG-T0001", "qr");
        ChannelQr = await AddTagAsync("CH-T01", "qr");
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            async Task<string> TokenAsync(string name, string role)
            {
                var user = await UserStore.CreateAsync(conn, tx, name, name, role, "correct-horse-42", default);
                return (await ApiTokens.IssueAsync(conn, tx, user.Id, "test", TimeSpan.FromHours(2), default)).Token;
            }
            InspectorToken = await TokenAsync("inspector.kim", Roles.Inspector);
            OtherInspectorToken = await TokenAsync("inspector.lee", Roles.Inspector);
            OperatorToken = await TokenAsync("operator.park", Roles.Operator);
            await tx.CommitAsync();
        }
        MqttPort = MqttDevice.FreePort();
        Server = await TestServer.StartAsync(Db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Tags:KeyFile"] = Keys.Path,
            ["Paju:Mqtt:Embedded"] = "true",
            ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{MqttPort}",
        });
    }

    public async Task<Tag> AddTagAsync(string assetCode, string type, SunKeys? sunKeys = null, string? uid = null)
    {
        await using var conn = await Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var asset = await AssetRef.ResolveAsync(conn, tx, assetCode, null, default);
        var tag = await TagStore.AddAsync(conn, tx, Keys, asset, type, uid, sunKeys, Actor.System("test"), default);
        await tx.CommitAsync();
        return tag;
    }

    /// <summary>A new NTAG 424 on the playground with keys of the test's own, and the emulator that taps it.</summary>
    public async Task<SunTagEmulator> NewSunTagAsync(string uid, int counter = 0)
    {
        var keys = new SunKeys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        var tag = await AddTagAsync("PG-T0001", "ntag424", keys);
        return new SunTagEmulator(BaseUrl, tag.Id, keys.Meta, keys.File, uid, counter);
    }

    public HttpClient Client(string? token = null)
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? InspectorToken);
        return client;
    }

    /// <summary>Posts a check-in as the app would and returns the status code and the answer.</summary>
    public async Task<(int Status, JsonElement Body)> CheckInAsync(object body, string? token = null)
    {
        using var client = Client(token);
        using var response = await client.PostAsJsonAsync("/api/checkins", body);
        return ((int)response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    /// <summary>A check-in at the playground (8 m accuracy) unless told otherwise.</summary>
    public static object Body(string? url, string method = "nfc", double? lat = PlaygroundLat, double? lon = PlaygroundLon, double accuracy = 8,
        Guid? id = null, string? uid = null, string? asset = null) => new
    {
        id = id ?? Guid.NewGuid(),
        method,
        url,
        uid,
        asset,
        position = lat is null ? null : new { lat, lon },
        accuracy,
        clientTime = DateTimeOffset.UtcNow,
    };

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
