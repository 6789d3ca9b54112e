using System.Security.Claims;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Calendar;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Inspections;

/// <summary>
/// <c>GET /api/assets/nearby?lat=&amp;lon=&amp;radius=</c>: what is around the inspector, nearest first, each with its
/// programs and whether this period's inspection is done (Asia/Seoul months and half-years). A managing body sees only
/// its own assets.
/// </summary>
public static class NearbyAssets
{
    /// <param name="Status">done, due, due_soon or overdue (the compliance rules, in Asia/Seoul).</param>
    public sealed record DueProgram(string Program, int Version, string Name, string Cadence, string Status, string Period, DateOnly? DueOn, DateTimeOffset? LastFinishedAt);

    public sealed record NearbyAsset(string Kind, string Code, string Name, double DistanceMetres, IReadOnlyList<DueProgram> Programs);

    /// <summary>For a managing body's user, the body whose assets alone it sees (-1 when none is set: nothing); null for everyone else.</summary>
    public static async Task<long?> ManagingBodyScopeAsync(ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!user.IsInRole(Roles.ManagingBody))
        {
            return null;
        }
        await using var who = db.CreateCommand("SELECT managing_body_id FROM app_user WHERE id = $1");
        who.Parameters.Add(new() { Value = long.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!) });
        return (long?)await who.ExecuteScalarAsync(ct) ?? -1;
    }

    public static void MapNearbyAssets(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/assets/nearby", NearbyAsync).RequireAuthorization(Policies.SignedIn)
            .Produces<List<NearbyAsset>>().WithSummary("가까운 시설과 이번 주기의 점검 (nearest first; a managing body sees its own)");

    private static async Task<IResult> NearbyAsync(HttpContext http, double? lat, double? lon, double? radius, NpgsqlDataSource db, CancellationToken ct)
    {
        if (lat is not { } la || lon is not { } lo || la is < -90 or > 90 || lo is < -180 or > 180 || !double.IsFinite(la) || !double.IsFinite(lo))
        {
            return Results.Problem("lat 과 lon 에 위치(WGS 84 도)를 주세요. 예: ?lat=37.7599&lon=126.7802&radius=500", title: "위치가 필요합니다", statusCode: 400);
        }
        var metres = Math.Clamp(radius ?? 500, 10, 5000);
        var body = await ManagingBodyScopeAsync(http.User, db, ct);
        // The bounding box first (the geometry index), then the exact distance on the spheroid.
        await using var cmd = db.CreateCommand("""
            WITH here AS (SELECT ST_SetSRID(ST_MakePoint($2, $1), 4326) AS p),
            near AS (
                SELECT a.id, a.kind, a.code, a.name, a.created_at, ST_Distance(a.geom::geography, here.p::geography) AS d
                FROM asset a, here
                WHERE a.status = 'active'
                  AND a.geom && ST_Expand(here.p, $3 / (111320 * greatest(cos(radians($1)), 0.01)))
                  AND ST_DWithin(a.geom::geography, here.p::geography, $3)
                  AND ($4::bigint IS NULL OR a.managing_body_id = $4)
                ORDER BY d
                LIMIT 100)
            SELECT n.kind, n.code, n.name, n.d, p.code, p.current_version, v.definition->>'name', v.definition->>'cadence',
                   (SELECT max(i.finished_at) FROM inspection i WHERE i.asset_id = n.id AND i.program = p.code), n.created_at, pg.periodic_valid_until
            FROM near n
            LEFT JOIN playground pg ON pg.asset_id = n.id
            LEFT JOIN program p ON p.subject_kind = n.kind
            LEFT JOIN program_version v ON v.program = p.code AND v.version = p.current_version
            ORDER BY n.d, n.code, p.code
            """);
        cmd.Parameters.Add(new() { Value = la });
        cmd.Parameters.Add(new() { Value = lo });
        cmd.Parameters.Add(new() { Value = metres });
        cmd.Parameters.Add(new() { Value = (object?)body ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        var now = DateTimeOffset.UtcNow;
        var assets = new List<NearbyAsset>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var code = reader.GetString(1);
            if (assets.Count == 0 || assets[^1].Code != code)
            {
                assets.Add(new NearbyAsset(reader.GetString(0), code, reader.GetString(2), Math.Round(reader.GetDouble(3), 1), new List<DueProgram>()));
            }
            if (!reader.IsDBNull(4))
            {
                var cadence = reader.GetString(7);
                DateTimeOffset? last = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8);
                var status = Compliance.ComplianceStatus.Rule(cadence, last, reader.GetFieldValue<DateTimeOffset>(9),
                    reader.IsDBNull(10) ? null : reader.GetFieldValue<DateOnly>(10), now);
                ((List<DueProgram>)assets[^1].Programs).Add(new DueProgram(reader.GetString(4), reader.GetInt32(5), reader.GetString(6), cadence,
                    status.Code, status.Period, status.DueOn, last));
            }
        }
        return Results.Ok(assets);
    }
}
