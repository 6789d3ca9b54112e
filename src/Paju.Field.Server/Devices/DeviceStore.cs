using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Audit;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Devices;

public sealed record Device(int Id, string DeviceId, string Site, string Role, long? AssetId, string? AssetCode, string SecretHash, bool Disabled, bool Online, DateTimeOffset? LastSeenAt);

/// <summary>Devices and service accounts that talk MQTT, with their credentials (hashed) and the asset each measures.</summary>
public static class DeviceStore
{
    public const string DeviceRole = "device";
    public const string IngestRole = "ingest";

    private const string Select = """
        SELECT d.id, d.device_id, d.site, d.role, d.asset_id, a.code, d.secret_hash, d.disabled_at IS NOT NULL, d.online, d.last_seen_at
        FROM device d LEFT JOIN asset a ON a.id = d.asset_id
        """;

    /// <returns>The device and its secret, shown once.</returns>
    public static async Task<(Device Device, string Secret)> AddAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string deviceId, string site,
        string role, string? assetCode, string? description, Actor actor, CancellationToken ct)
    {
        if (!TelemetryTopic.IsId(deviceId) || !TelemetryTopic.IsId(site))
        {
            throw new AccountException("장치 ID와 사이트는 영문 소문자·숫자·._- 로 1~64자여야 합니다.");
        }
        if (role is not (DeviceRole or IngestRole))
        {
            throw new AccountException($"역할은 {DeviceRole} 또는 {IngestRole} 입니다.");
        }
        long? assetId = null;
        if (assetCode is not null)
        {
            await using var find = new NpgsqlCommand("SELECT id FROM asset WHERE code = $1", conn, tx) { Parameters = { new() { Value = assetCode } } };
            assetId = (long?)await find.ExecuteScalarAsync(ct) ?? throw new AccountException($"자산 코드 '{assetCode}'가 없습니다.");
        }
        if (await FindAsync(conn, tx, deviceId, ct) is not null)
        {
            throw new AccountException($"장치 '{deviceId}'가 이미 있습니다. 비밀번호를 바꾸려면 paju device rotate {deviceId}");
        }
        var secret = MosquittoPassword.NewSecret();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO device (device_id, site, role, asset_id, secret_hash, description) VALUES ($1, $2, $3, $4, $5, $6)", conn, tx)
        {
            Parameters =
            {
                new() { Value = deviceId }, new() { Value = site }, new() { Value = role },
                new() { Value = (object?)assetId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                new() { Value = MosquittoPassword.Hash(secret) },
                new() { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            },
        })
        {
            await insert.ExecuteNonQueryAsync(ct);
        }
        await AuditLog.WriteAsync(conn, tx, actor, "device.add", "device", deviceId, new { site, role, asset = assetCode }, ct);
        return ((await FindAsync(conn, tx, deviceId, ct))!, secret);
    }

    public static async Task<string> RotateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string deviceId, Actor actor, CancellationToken ct)
    {
        var secret = MosquittoPassword.NewSecret();
        await using var cmd = new NpgsqlCommand("UPDATE device SET secret_hash = $2, rotated_at = now() WHERE device_id = $1", conn, tx)
        {
            Parameters = { new() { Value = deviceId }, new() { Value = MosquittoPassword.Hash(secret) } },
        };
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            throw new AccountException($"장치 '{deviceId}'가 없습니다.");
        }
        await AuditLog.WriteAsync(conn, tx, actor, "device.rotate", "device", deviceId, ct: ct);
        return secret;
    }

    public static async Task DisableAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string deviceId, Actor actor, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("UPDATE device SET disabled_at = coalesce(disabled_at, now()) WHERE device_id = $1", conn, tx)
        {
            Parameters = { new() { Value = deviceId } },
        };
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            throw new AccountException($"장치 '{deviceId}'가 없습니다.");
        }
        await AuditLog.WriteAsync(conn, tx, actor, "device.disable", "device", deviceId, ct: ct);
    }

    public static async Task<Device?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string deviceId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"{Select} WHERE d.device_id = $1", conn, tx) { Parameters = { new() { Value = deviceId } } };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public static async Task<IReadOnlyList<Device>> ListAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"{Select} ORDER BY d.site, d.device_id", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var devices = new List<Device>();
        while (await reader.ReadAsync(ct))
        {
            devices.Add(Read(reader));
        }
        return devices;
    }

    private static Device Read(NpgsqlDataReader r) => new(
        r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5),
        r.GetString(6), r.GetBoolean(7), r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9));
}
