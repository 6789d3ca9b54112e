using Npgsql;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Devices;
using Paju.Field.Server.Simulation;

namespace Paju.Field.Server.Simulation;

/// <summary>
/// Makes the simulated Ulgok controllers real devices: registered (or given a fresh secret), mapped to
/// their stations when those assets exist, with the alarm rules an operator of these stations would set.
/// </summary>
public static class SimulatorSetup
{
    private sealed record RuleSpec(string Code, string Device, string? Metric, string Kind, double? Threshold, double Deadband, int OnDelay, int Priority, string Message, int Window = 600);

    private static readonly RuleSpec[] Rules =
    [
        new("ULGOK-PS1-LEVEL-HIGH", "ulgok-ps1-plc", "basin_level_m", "high", 3.5, 0.2, 30, 2, "울곡 유수지 수위 높음 (3.5 m 이상)"),
        new("ULGOK-PS1-LEVEL-HIGHHIGH", "ulgok-ps1-plc", "basin_level_m", "high_high", 4.5, 0.2, 10, 1, "울곡 유수지 수위 매우 높음 (4.5 m 이상)"),
        new("ULGOK-PS1-RISE", "ulgok-ps1-plc", "basin_level_m", "rate_of_rise", 1.0, 0.3, 30, 3, "울곡 유수지 수위 급상승 (시간당 1 m 이상)"),
        new("ULGOK-PS1-PUMP2-FAULT", "ulgok-ps1-plc", "pump2_fault", "high", 1, 0, 0, 2, "울곡 배수펌프장 2호기 고장"),
        new("ULGOK-PS1-OFFLINE", "ulgok-ps1-plc", null, "offline", null, 0, 30, 2, "울곡 배수펌프장 통신 두절"),
        new("ULGOK-PS2-NODATA", "ulgok-ps2-plc", "tank_level_m", "no_data", 120, 0, 0, 3, "울곡 간이배수펌프장 자료 수신 없음 (2분)"),
        new("ULGOK-PS2-TANK-HIGH", "ulgok-ps2-plc", "tank_level_m", "high", 2.6, 0.2, 30, 2, "울곡 저류조 수위 높음 (2.6 m 이상)"),
    ];

    /// <returns>The secret of each simulated device, for the simulator to connect with.</returns>
    public static async Task<Dictionary<string, string>> EnsureAsync(NpgsqlDataSource db, UlgokPlant plant, CancellationToken ct)
    {
        var secrets = new Dictionary<string, string>();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var actor = Actor.System("simulator");
        foreach (var (station, stationCode) in new[] { (plant.Main, "ULGOK-PS1"), (plant.Simple, "ULGOK-PS2") })
        {
            string? asset;
            await using (var exists = new NpgsqlCommand("SELECT 1 FROM asset WHERE code = $1", conn, tx) { Parameters = { new() { Value = stationCode } } })
            {
                // Mapped to its station when the registry has it (the sample does).
                asset = await exists.ExecuteScalarAsync(ct) is null ? null : stationCode;
            }
            secrets[station.Device] = await DeviceStore.FindAsync(conn, tx, station.Device, ct) is null
                ? (await DeviceStore.AddAsync(conn, tx, station.Device, station.Site, DeviceStore.DeviceRole, asset, "시뮬레이터", actor, ct)).Secret
                : await DeviceStore.RotateAsync(conn, tx, station.Device, actor, ct);
        }
        foreach (var r in Rules)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO alarm_rule (code, device, asset_id, metric, kind, threshold, deadband, on_delay_s, window_s, priority, message_ko)
                SELECT $1, d.id, d.asset_id, $3, $4, $5, $6, $7, $8, $9, $10 FROM device d WHERE d.device_id = $2
                ON CONFLICT (code) DO NOTHING
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = r.Code });
            cmd.Parameters.Add(new() { Value = r.Device });
            cmd.Parameters.Add(new() { Value = (object?)r.Metric ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            cmd.Parameters.Add(new() { Value = r.Kind });
            cmd.Parameters.Add(new() { Value = (object?)r.Threshold ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            cmd.Parameters.Add(new() { Value = r.Deadband });
            cmd.Parameters.Add(new() { Value = r.OnDelay });
            cmd.Parameters.Add(new() { Value = r.Window });
            cmd.Parameters.Add(new() { Value = (short)r.Priority });
            cmd.Parameters.Add(new() { Value = r.Message });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return secrets;
    }
}
