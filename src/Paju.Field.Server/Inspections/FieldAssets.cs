using System.Security.Claims;
using Npgsql;
using NpgsqlTypes;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Compliance;
using Paju.Field.Server.Tags;

namespace Paju.Field.Server.Inspections;

/// <summary>
/// <c>GET /api/field/assets</c>: what an inspector's phone keeps for a day without signal — every asset a program covers
/// (a managing body: its own), where it is, its plates' ids, and this period's state of each program — and the
/// check-in rules, so the app can warn before the server would flag. <c>GET /api/tags/{id}</c>: one plate's asset.
/// </summary>
public static class FieldAssets
{
    public sealed record FieldAsset(string Kind, string Code, string Name, string? Address, double Lat, double Lon, string? FacilityType, string[] Tags,
        IReadOnlyList<NearbyAssets.DueProgram> Programs);

    public sealed record CheckInRules(double PassMetres, double FlagBeyondMetres, double WarnAccuracyMetres);

    /// <summary>A follow-up of a closure as the app shows it on the spot: what to do, and its due date's distance from today.</summary>
    public sealed record ClosureFollowUp(string Kind, string Label, int Months, int Days);

    public sealed record FieldSnapshot(DateTimeOffset At, CheckInRules Rules, IReadOnlyList<FieldAsset> Assets, IReadOnlyList<ClosureFollowUp> Closure);

    public static void MapFieldAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/field/assets", SnapshotAsync).RequireAuthorization(Policies.FieldWork)
            .Produces<FieldSnapshot>().WithSummary("현장 점검에 필요한 시설 전체 (휴대폰에 보관), 체크인 규칙");
        app.MapGet("/api/tags/{id}", TagAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("표지의 시설");
    }

    private static async Task<IResult> SnapshotAsync(HttpContext http, NpgsqlDataSource db, TagOptions tagOptions, CancellationToken ct)
    {
        var body = await NearbyAssets.ManagingBodyScopeAsync(http.User, db, ct);
        await using var cmd = db.CreateCommand("""
            WITH scope AS (
                SELECT a.id, a.kind, a.code, a.name, a.address, ST_PointOnSurface(a.geom) AS p, pf.facility_type, a.created_at
                FROM asset a LEFT JOIN public_facility pf ON pf.asset_id = a.id
                WHERE a.status = 'active' AND a.kind IN (SELECT subject_kind FROM program)
                  AND ($1::bigint IS NULL OR a.managing_body_id = $1))
            SELECT s.kind, s.code, s.name, s.address, ST_Y(s.p), ST_X(s.p),
                   coalesce((SELECT array_agg(t.id ORDER BY t.id) FROM tag t WHERE t.asset_id = s.id AND t.retired_at IS NULL), '{}'),
                   p.code, p.current_version, v.definition->>'name', v.definition->>'cadence',
                   (SELECT max(i.finished_at) FROM inspection i WHERE i.asset_id = s.id AND i.program = p.code), s.facility_type,
                   s.created_at, pg.periodic_valid_until
            FROM scope s
            LEFT JOIN playground pg ON pg.asset_id = s.id
            JOIN program p ON p.subject_kind = s.kind
            JOIN program_version v ON v.program = p.code AND v.version = p.current_version
            ORDER BY s.kind, s.code, p.code
            """);
        cmd.Parameters.Add(new() { Value = (object?)body ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        var now = DateTimeOffset.UtcNow;
        var assets = new List<FieldAsset>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (kind, code) = (reader.GetString(0), reader.GetString(1));
            if (assets.Count == 0 || assets[^1].Code != code || assets[^1].Kind != kind)
            {
                assets.Add(new FieldAsset(kind, code, reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    Math.Round(reader.GetDouble(4), 7), Math.Round(reader.GetDouble(5), 7), reader.IsDBNull(12) ? null : reader.GetString(12),
                    reader.GetFieldValue<string[]>(6), new List<NearbyAssets.DueProgram>()));
            }
            var cadence = reader.GetString(10);
            DateTimeOffset? last = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11);
            var status = Compliance.ComplianceStatus.Rule(cadence, last, reader.GetFieldValue<DateTimeOffset>(13),
                reader.IsDBNull(14) ? null : reader.GetFieldValue<DateOnly>(14), now);
            ((List<NearbyAssets.DueProgram>)assets[^1].Programs).Add(
                new NearbyAssets.DueProgram(reader.GetString(7), reader.GetInt32(8), reader.GetString(9), cadence, status.Code, status.Period, status.DueOn, last));
        }
        http.Response.Headers.CacheControl = "no-store";
        var closure = ComplianceEffects.ClosureRule.Select(s => new ClosureFollowUp(s.Kind, ComplianceEndpoints.FollowUpLabel(s.Kind), s.Months, s.Days)).ToList();
        return Results.Ok(new FieldSnapshot(now, new CheckInRules(tagOptions.PassMetres, tagOptions.FlagBeyondMetres, tagOptions.WarnAccuracyMetres), assets, closure));
    }

    private static async Task<IResult> TagAsync(string id, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!Paju.Field.Tags.TagUrl.IsTagId(id))
        {
            return Results.NotFound();
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        return await TagStore.FindAsync(conn, null, id, ct) is { } tag
            ? Results.Ok(new { tag = tag.Id, tag.Type, retired = tag.Retired, asset = new CheckInAsset(tag.AssetKind, tag.AssetCode, tag.AssetName) })
            : Results.NotFound();
    }
}
