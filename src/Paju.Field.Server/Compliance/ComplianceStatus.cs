using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Compliance;

namespace Paju.Field.Server.Compliance;

/// <summary>One asset against one program, as of an instant.</summary>
public sealed record AssetProgramStatus(long AssetId, string Kind, string Code, string Name, string? AdminArea, string? FacilityType,
    string? Department, bool Closed, bool OverdueFlag, string Program, DueStatus Status, DateTimeOffset? LastFinishedAt);

/// <summary>Every active asset against every program that covers it, computed by <see cref="ComplianceRules"/> at an instant.</summary>
public static class ComplianceStatus
{
    // The latest check per asset and program comes from latest_check, which the inspection table's triggers keep.
    private const string Query = """
        SELECT a.id, a.kind, a.code, a.name, coalesce(ar.name, a.admin_area_code), pf.facility_type, coalesce(pf.owning_department, d.name),
               a.closed_at IS NOT NULL, a.overdue, p.code, v.definition->>'cadence', a.created_at, l.finished_at, pg.periodic_valid_until
        FROM asset a
        JOIN program p ON p.subject_kind = a.kind
        LEFT JOIN latest_check l ON l.asset_id = a.id AND l.program = p.code
        JOIN program_version v ON v.program = p.code AND v.version = p.current_version
        JOIN department d ON d.code = p.department
        LEFT JOIN admin_area ar ON ar.code = a.admin_area_code
        LEFT JOIN public_facility pf ON pf.asset_id = a.id
        LEFT JOIN playground pg ON pg.asset_id = a.id
        WHERE a.status = 'active'
        """;

    /// <summary>One asset against one program by its cadence: the same rule for the overview, the job, the app and its nearby list.</summary>
    public static DueStatus Rule(string cadence, DateTimeOffset? last, DateTimeOffset since, DateOnly? validUntil, DateTimeOffset now) => cadence switch
    {
        "monthly" => ComplianceRules.Monthly(last, since, now),
        "semiannual" => ComplianceRules.Semiannual(last, since, now),
        "biennial" => ComplianceRules.Periodic(validUntil, DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime)),
        _ => new DueStatus(last is null ? DueState.Due : DueState.Done, null, "한 번"),
    };

    /// <param name="assetId">Only this asset (a panel's question), or every active asset.</param>
    public static async Task<List<AssetProgramStatus>> ComputeAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, DateTimeOffset now, CancellationToken ct,
        long? assetId = null)
    {
        var list = new List<AssetProgramStatus>();
        await using var cmd = new NpgsqlCommand(assetId is null ? Query : Query + " AND a.id = $1", conn, tx);
        if (assetId is { } id)
        {
            cmd.Parameters.Add(new() { Value = id });
        }
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var cadence = reader.GetString(10);
            var since = reader.GetFieldValue<DateTimeOffset>(11);
            DateTimeOffset? last = reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12);
            DateOnly? validUntil = reader.IsDBNull(13) ? null : reader.GetFieldValue<DateOnly>(13);
            var status = Rule(cadence, last, since, validUntil, now);
            list.Add(new AssetProgramStatus(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetBoolean(7), reader.GetBoolean(8), reader.GetString(9), status, last));
        }
        return list;
    }
}
