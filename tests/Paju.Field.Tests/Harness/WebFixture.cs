using Paju.Field.Server.Accounts;

namespace Paju.Field.Tests.Harness;

/// <summary>A class fixture for page tests: the class's own database, one person per role, and the real server on a free port.</summary>
public sealed class WebFixture(PostgisServer postgis) : IAsyncLifetime
{
    public const string Password = "correct-horse-42";

    public static readonly IReadOnlyDictionary<string, string> People = new Dictionary<string, string>
    {
        [Roles.Admin] = "admin1",
        [Roles.Operator] = "operator1",
        [Roles.Inspector] = "inspector1",
        [Roles.Viewer] = "viewer1",
    };

    public TestDatabase Db { get; } = new(postgis);

    public TestServer Server { get; private set; } = null!;

    public Uri BaseAddress => Server.BaseAddress;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            foreach (var (role, name) in People)
            {
                await UserStore.CreateAsync(conn, null, name, $"{Roles.KoreanName(role)} 시험", role, Password, default);
            }
        }
        Server = await TestServer.StartAsync(Db.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
