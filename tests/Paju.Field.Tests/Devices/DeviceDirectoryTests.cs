using Paju.Field.Server.Devices;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Devices;

/// <summary>
/// The devices' cache under a burst: an ingest worker draining a backlog classifies a thousand messages at once, and a
/// broker sees every device reconnect at once after an outage. They share the reads of the device table.
/// </summary>
public sealed class DeviceDirectoryTests(PostgisServer postgis) : IAsyncLifetime
{
    private readonly TestDatabase _db = new(postgis);

    public ValueTask InitializeAsync() => _db.InitializeAsync();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Five_hundred_lookups_at_once_share_a_few_reads_and_a_device_added_since_is_still_found()
    {
        await TestDevices.AddAsync(_db.DataSource, "burst-plc-1", "burst-site");
        var directory = new DeviceDirectory(_db.DataSource);

        var found = await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => directory.FindAsync("burst-plc-1", default)));
        Assert.All(found, d => Assert.Equal("burst-plc-1", d?.DeviceId));
        // The first read, and one more for each wave that asked after the one before began (two on an idle machine, a
        // few on a loaded one, where the 500 calls are still being made when the first read ends). Each of the 500
        // read in turn before.
        Assert.InRange(directory.Reads, 1, 25);

        // Unknown ids are read for again (a device may have been added meanwhile), still together.
        var before = directory.Reads;
        var unknown = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => directory.FindAsync($"burst-unknown-{i}", default)));
        Assert.All(unknown, Assert.Null);
        Assert.InRange(directory.Reads - before, 1, 25);

        // A device registered after those reads is found by the next message that names it.
        await TestDevices.AddAsync(_db.DataSource, "burst-plc-2", "burst-site");
        Assert.Equal("burst-site", (await directory.FindAsync("burst-plc-2", default))?.Site);
    }
}
