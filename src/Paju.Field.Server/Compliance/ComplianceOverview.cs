using Npgsql;
using Paju.Field.Calendar;

namespace Paju.Field.Server.Compliance;

/// <summary>Done, total and overdue among the assets a program covers.</summary>
public sealed record Progress(long Done, long Total, long Overdue)
{
    public static Progress Sum(IEnumerable<Progress> parts) =>
        parts.Aggregate(new Progress(0, 0, 0), (a, b) => new Progress(a.Done + b.Done, a.Total + b.Total, a.Overdue + b.Overdue));
}

public sealed record ComplianceOverview(
    IReadOnlyList<(string Area, Progress Progress)> CampaignByArea,
    IReadOnlyList<(string Type, Progress Progress)> FacilityByType,
    IReadOnlyList<(string Department, Progress Progress)> FacilityByDepartment,
    long OverdueAssets,
    long ClosedAssets)
{
    public const string CampaignProgram = "playground-monthly";
    public const string FacilityProgram = "facility-semiannual";

    // The campaign's and the half-year's states as ComplianceRules decides them, counted where the rows are: the period
    // boundaries come in as Seoul instants computed in C#, so the SQL compares instants only, and a test holds the two to
    // the same answers at month, half-year and year ends. Overdue and closed assets are the flags the map shows, which the
    // inspection's transaction and the job at each Seoul midnight keep (asset_overdue_idx, asset_closed_idx).
    private const string Query = """
        WITH p AS MATERIALIZED (   -- the cadence read once per program, not detoasted from the definition per row
            SELECT p.code, p.subject_kind, d.name AS department, v.definition->>'cadence' AS cadence
            FROM program p
            JOIN program_version v ON v.program = p.code AND v.version = p.current_version
            JOIN department d ON d.code = p.department
            WHERE p.code IN ($7, $8)),
        s AS (
            SELECT p.code AS program, coalesce(ar.name, a.admin_area_code, '미지정') AS area, coalesce(pf.facility_type, '미지정') AS type,
                   coalesce(pf.owning_department, p.department, '미지정') AS department,
                   CASE p.cadence
                       WHEN 'monthly' THEN CASE
                           WHEN l.finished_at >= $1 AND l.finished_at < $2 THEN 'done'
                           WHEN a.created_at < $1 AND NOT coalesce(l.finished_at >= $3 AND l.finished_at < $1, false) THEN 'overdue'
                           ELSE 'due' END
                       WHEN 'semiannual' THEN CASE
                           WHEN l.finished_at >= $4 AND l.finished_at < $5 THEN 'done'
                           WHEN a.created_at < $4 AND NOT coalesce(l.finished_at >= $6 AND l.finished_at < $4, false) THEN 'overdue'
                           ELSE 'due' END
                   END AS state
            FROM asset a
            JOIN p ON p.subject_kind = a.kind
            LEFT JOIN latest_check l ON l.asset_id = a.id AND l.program = p.code
            LEFT JOIN admin_area ar ON ar.code = a.admin_area_code
            LEFT JOIN public_facility pf ON pf.asset_id = a.id
            WHERE a.status = 'active')
        SELECT program, grouping(area, type, department), coalesce(area, type, department),
               count(*) FILTER (WHERE state = 'done'), count(*), count(*) FILTER (WHERE state = 'overdue')
        FROM s GROUP BY GROUPING SETS ((program, area), (program, type), (program, department))
        """;

    private const string Flags = """
        SELECT (SELECT count(*) FROM asset WHERE overdue AND status = 'active'),
               (SELECT count(*) FROM asset WHERE closed_at IS NOT NULL AND status = 'active')
        """;

    public Progress Campaign => Progress.Sum(CampaignByArea.Select(a => a.Progress));

    public Progress Facility => Progress.Sum(FacilityByType.Select(t => t.Progress));

    public static async Task<ComplianceOverview> ComputeAsync(NpgsqlConnection conn, DateTimeOffset now, CancellationToken ct)
    {
        var month = SeoulCalendar.MonthOf(now);
        var half = SeoulCalendar.HalfYearOf(now);
        var halfStart = new DateOnly(half.Year, half.Half == 1 ? 1 : 7, 1);
        static NpgsqlParameter At(DateOnly seoulDay) => new() { Value = SeoulCalendar.StartOfDay(seoulDay).ToUniversalTime() };
        await using var cmd = new NpgsqlCommand(Query, conn)
        {
            Parameters =
            {
                At(month), At(month.AddMonths(1)), At(month.AddMonths(-1)),
                At(halfStart), At(halfStart.AddMonths(6)), At(halfStart.AddMonths(-6)),
                new() { Value = CampaignProgram }, new() { Value = FacilityProgram },
            },
        };
        var byArea = new List<(string, Progress)>();
        var byType = new List<(string, Progress)>();
        var byDepartment = new List<(string, Progress)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var (program, set, key) = (reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
                var progress = new Progress(reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
                switch (program, set)
                {
                    case (CampaignProgram, 0b011): byArea.Add((key, progress)); break;          // grouped by area
                    case (FacilityProgram, 0b101): byType.Add((key, progress)); break;          // by facility type
                    case (FacilityProgram, 0b110): byDepartment.Add((key, progress)); break;    // by department
                }
            }
        }
        await using var flags = new NpgsqlCommand(Flags, conn);
        long overdueAssets, closedAssets;
        await using (var reader = await flags.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (overdueAssets, closedAssets) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        return new ComplianceOverview(Sorted(byArea), Sorted(byType), Sorted(byDepartment), overdueAssets, closedAssets);
    }

    private static List<(string, Progress)> Sorted(List<(string Key, Progress Progress)> rows) => rows.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
}
