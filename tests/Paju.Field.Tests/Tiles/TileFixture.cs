using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Seeding;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Tiles;

/// <summary>The sample registry behind a running server, for the tile tests.</summary>
public sealed class TileFixture(PostgisServer server) : IAsyncLifetime
{
    public TestDatabase Db { get; } = new(server);

    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await SampleSeeder.SeedAsync(Db.DataSource, Actor.System("test"), NullLogger.Instance, default);
        Server = await TestServer.StartAsync(Db.ConnectionString);
    }

    public async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var client = Server.CreateClient();
        return await client.GetAsync(path);
    }

    /// <summary>Waits until the server's tile cache listens for changes (it serves uncached until then).</summary>
    public async Task WaitUntilCachingAsync(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await GetAsync(path);
            var second = await GetAsync(path);
            if (second.Headers.GetValues("X-Tile-Cache").Single() == "hit")
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, "the tile cache never started");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
