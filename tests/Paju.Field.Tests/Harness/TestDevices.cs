using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Devices;

namespace Paju.Field.Tests.Harness;

/// <summary>Registers a device (or an ingest account) the way `paju device add` does, and returns its secret.</summary>
public static class TestDevices
{
    public static async Task<(Device Device, string Secret)> AddAsync(NpgsqlDataSource db, string deviceId, string site, string role = DeviceStore.DeviceRole)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var added = await DeviceStore.AddAsync(conn, tx, deviceId, site, role, null, null, Actor.System("test"), default);
        await tx.CommitAsync();
        return added;
    }
}
