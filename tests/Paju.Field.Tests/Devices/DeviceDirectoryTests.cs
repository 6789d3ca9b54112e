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

        // The first read is held at the device table until all 500 have asked, as when a read is slow under load: the
        // first asker reads, and everyone who asked while that read ran shares one read after it. (Left to the
        // scheduler, the number of reads depended on how fast the 500 calls were made against how long a read took.)
        var found = await WhileTheDeviceTableIsLockedAsync(() => Enumerable.Range(0, 500).Select(_ => directory.FindAsync("burst-plc-1", default)).ToList());
        Assert.All(found, d => Assert.Equal("burst-plc-1", d?.DeviceId));
        Assert.Equal(2, directory.Reads);   // each of the 500 read in turn before

        // Unknown ids are read for again (a device may have been added meanwhile), still together.
        var before = directory.Reads;
        var unknown = await WhileTheDeviceTableIsLockedAsync(() => Enumerable.Range(0, 500).Select(i => directory.FindAsync($"burst-unknown-{i}", default)).ToList());
        Assert.All(unknown, Assert.Null);
        Assert.Equal(2, directory.Reads - before);

        // A device registered after those reads is found by the next message that names it.
        await TestDevices.AddAsync(_db.DataSource, "burst-plc-2", "burst-site");
        Assert.Equal("burst-site", (await directory.FindAsync("burst-plc-2", default))?.Site);
    }

    /// <summary>Makes the lookups while another transaction keeps the device table from being read, then lets it go.</summary>
    private async Task<T[]> WhileTheDeviceTableIsLockedAsync<T>(Func<List<Task<T>>> lookups)
    {
        List<Task<T>> asked;
        await using (var conn = await _db.DataSource.OpenConnectionAsync())
        await using (var holder = await conn.BeginTransactionAsync())
        {
            await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE device IN ACCESS EXCLUSIVE MODE", conn, holder))
            {
                await lockTable.ExecuteNonQueryAsync();
            }
            asked = lookups();
            Assert.DoesNotContain(asked, t => t.IsCompleted);   // the first read waits for the table
            await holder.RollbackAsync();
        }
        return await Task.WhenAll(asked);
    }
}
