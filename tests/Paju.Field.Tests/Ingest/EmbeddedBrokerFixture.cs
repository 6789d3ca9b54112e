using Microsoft.Extensions.DependencyInjection;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Devices;
using Paju.Field.Server.Ingest;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>A server with its embedded broker on a free port and two registered devices.</summary>
public sealed class EmbeddedBrokerFixture(PostgisServer server) : IAsyncLifetime
{
    public const string Site = "ulgok-ps1";
    public const string Device = "ulgok-ps1-plc";
    public const string OtherSite = "ulgok-ps2";
    public const string OtherDevice = "ulgok-ps2-plc";

    public TestDatabase Db { get; } = new(server);

    public TestServer Server { get; private set; } = null!;

    public int Port { get; private set; }

    public string Secret { get; private set; } = "";

    public string OtherSecret { get; private set; } = "";

    public IngestPipeline Pipeline => Server.Services.GetRequiredService<IngestPipeline>();

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        Secret = (await TestDevices.AddAsync(Db.DataSource, Device, Site)).Secret;
        OtherSecret = (await TestDevices.AddAsync(Db.DataSource, OtherDevice, OtherSite)).Secret;
        Port = MqttDevice.FreePort();
        Server = await TestServer.StartAsync(Db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Mqtt:Embedded"] = "true",
            ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{Port}",
        });
    }

    /// <summary>
    /// A device of its own for one test: reconnecting the same client id back to back lets the broker's
    /// clean-up of the previous session race with the new one.
    /// </summary>
    public async Task<MqttDevice> ConnectNewDeviceAsync(string deviceId)
    {
        var (_, secret) = await TestDevices.AddAsync(Db.DataSource, deviceId, Site);
        return await MqttDevice.ConnectAsync(Port, Site, deviceId, secret);
    }

    /// <summary>Until the newest values of every reading acknowledged so far are written: they follow the readings' commit.</summary>
    public Task NewestValuesWrittenAsync() =>
        Server.Services.GetRequiredService<IngestPipeline>().Newest.WrittenAsync().WaitAsync(TimeSpan.FromSeconds(60));

    public Task<MqttDevice> ConnectAsync(MQTTnet.Formatter.MqttProtocolVersion version = MQTTnet.Formatter.MqttProtocolVersion.V500) =>
        MqttDevice.ConnectAsync(Port, Site, Device, Secret, version);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
