using Paju.Field.Server.Audit;
using Paju.Field.Server.Devices;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>
/// Production's shape: devices on a real mosquitto configured by `paju broker config`, and two real
/// `paju ingest` processes on one shared subscription.
/// </summary>
public class MosquittoFixture(PostgisServer server) : IAsyncLifetime
{
    public const string IngestUser = "paju-ingest";

    public TestDatabase Db { get; } = new(server);

    public Mosquitto Broker { get; private set; } = null!;

    public Dictionary<string, (string Site, string Secret)> Devices { get; } = [];

    public string IngestSecret { get; private set; } = "";

    public List<IngestWorker> Workers { get; } = [];

    private string _data = "";

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        foreach (var (device, site) in DevicePlan)
        {
            Devices[device] = (site, (await TestDevices.AddAsync(Db.DataSource, device, site)).Secret);
        }
        IngestSecret = (await TestDevices.AddAsync(Db.DataSource, IngestUser, "server", DeviceStore.IngestRole)).Secret;

        _data = TempDirectory.Create("paju-mosquitto-");
        var port = MqttDevice.FreePort();
        var config = await PajuCli.RunAsync(["broker", "config", "--out", _data, "--port", port.ToString(), "--db", Db.ConnectionString, "--data", _data]);
        Assert.True(config.Succeeded, config.Explanation);
        Broker = await Mosquitto.StartAsync(_data, port);
        await PrepareAsync(_data);

        foreach (var (clientId, _) in WorkerPlan)
        {
            Workers.Add(StartWorker(clientId));
        }
        foreach (var worker in Workers)
        {
            await worker.WaitUntilReadingAsync();
        }
    }

    /// <summary>The devices registered (and so in mosquitto's password file).</summary>
    protected virtual IReadOnlyList<(string Device, string Site)> DevicePlan => [("ps1-plc", "ulgok-ps1"), ("ps2-plc", "ulgok-ps2"), ("rain-gauge", "ulgok-ps1")];

    /// <summary>What the workers must find when they start (rows, the tag key file under the data directory).</summary>
    protected virtual Task PrepareAsync(string dataDirectory) => Task.CompletedTask;

    /// <summary>The ingest workers to run: two on the shared subscription.</summary>
    protected virtual IReadOnlyList<(string ClientId, string Subscription)> WorkerPlan => [("ingest-a", "shared"), ("ingest-b", "shared")];

    public IngestWorker StartWorker(string clientId) =>
        IngestWorker.Start(Db.ConnectionString, Broker.Port, IngestUser, IngestSecret, clientId, _data,
            WorkerPlan.Single(w => w.ClientId == clientId).Subscription);

    public Task<MqttDevice> ConnectAsync(string device) =>
        MqttDevice.ConnectAsync(Broker.Port, Devices[device].Site, device, Devices[device].Secret);

    public async Task<long> WaitForRowsAsync(string sql, long expected, params object[] args)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var rows = await Db.ScalarAsync<long>(sql, args);
            if (rows >= expected || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in Workers)
        {
            await worker.DisposeAsync();
        }
        await Broker.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}

/// <summary>One worker on a plain persistent subscription, which mosquitto restores after a restart.</summary>
public sealed class ExclusiveMosquittoFixture(PostgisServer server) : MosquittoFixture(server)
{
    protected override IReadOnlyList<(string ClientId, string Subscription)> WorkerPlan => [("ingest-only", "exclusive")];
}

/// <summary>The Ulgok controllers as devices of a mosquitto with one exclusive ingest worker: the bridge's production shape.</summary>
public sealed class UlgokMosquittoFixture(PostgisServer server) : MosquittoFixture(server)
{
    protected override IReadOnlyList<(string Device, string Site)> DevicePlan => [("ulgok-ps1-plc", "ulgok-ps1"), ("ulgok-ps2-plc", "ulgok-ps2")];

    protected override IReadOnlyList<(string ClientId, string Subscription)> WorkerPlan => [("ingest-only", "exclusive")];
}
