using System.Text.Json;
using Npgsql;
using Paju.Field.Server.Accounts;

namespace Paju.Field.Server.Compliance;

/// <summary>
/// The control room's asset panel and search: <c>GET /api/assets/search?q=</c> finds assets by Korean name or code;
/// <c>GET /api/assets/{kind}/{code}</c> is one asset with its properties, its due or overdue state per program, its
/// inspection history with photos, open findings and follow-ups, and 이용금지 with its reason and date.
/// </summary>
public static class AssetPanel
{
    public const int MaxQueryLength = 100;

    public static void MapAssetPanel(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/assets/search", SearchAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("시설 찾기: 이름(한글) 또는 코드의 일부 (?q=, 20건까지; 이름이 앞에서 맞는 것 먼저)");
        app.MapGet("/api/assets/{kind}/{code}", ReadAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("시설 하나: 속성, 프로그램별 상태(기한·지연), 점검 이력과 사진, 지적사항, 후속 조치, 이용금지");
    }

    /// <summary>The kind row's fields under the Korean titles the OGC API gives them; fields without one are left out.</summary>
    private static List<object> Labelled(string kind, string json)
    {
        var titles = Ogc.OgcCatalog.All.FirstOrDefault(c => c.Id == kind)?.Properties
            .Where(p => p.Sql.StartsWith("k.", StringComparison.Ordinal))
            .ToDictionary(p => p.Sql[2..], p => (p.Title, p.Type)) ?? [];
        using var document = JsonDocument.Parse(json);
        var list = new List<object>();
        foreach (var field in document.RootElement.EnumerateObject())
        {
            if (!titles.TryGetValue(field.Name, out var known) || field.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Object or JsonValueKind.Array)
            {
                continue;
            }
            var (title, type) = known;
            var value = field.Value.ValueKind switch
            {
                // Instants as Seoul clock time, as everywhere on the screens.
                JsonValueKind.String when type == Ogc.PropertyType.Timestamp && DateTimeOffset.TryParse(field.Value.GetString(),
                    System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at) =>
                    Calendar.SeoulCalendar.ToSeoul(at).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                JsonValueKind.True => "예",
                JsonValueKind.False => "아니오",
                JsonValueKind.String => field.Value.GetString()!,
                _ => field.Value.GetRawText(),
            };
            list.Add(new { key = field.Name, label = title, value });
        }
        return list;
    }

    private static async Task<IResult> SearchAsync(string? q, NpgsqlDataSource db, CancellationToken ct)
    {
        var text = q?.Trim() ?? "";
        if (text.Length is 0 or > MaxQueryLength || text.Any(char.IsControl))
        {
            return Results.Problem($"찾을 말(q)을 1~{MaxQueryLength}자로 주세요.", title: "찾을 말이 필요합니다", statusCode: 400);
        }
        // LIKE's own characters are searched for as themselves.
        var pattern = text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
        await using var cmd = db.CreateCommand("""
            SELECT a.kind, a.code, a.name, coalesce(z.name, ''), ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom))
            FROM asset a LEFT JOIN admin_area z ON z.code = a.admin_area_code
            WHERE a.status = 'active' AND (a.name ILIKE '%' || $1 || '%' OR a.code ILIKE $1 || '%')
            ORDER BY (a.name ILIKE $1 || '%' OR replace(a.name, '[샘플] ', '') ILIKE $1 || '%') DESC, length(a.name), a.code
            LIMIT 20
            """);
        cmd.Parameters.Add(new() { Value = pattern });
        var found = new List<object>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            found.Add(new { kind = r.GetString(0), kindName = Assets.AssetKinds.KoreanName(r.GetString(0)), code = r.GetString(1), name = r.GetString(2),
                area = r.GetString(3), at = new[] { Math.Round(r.GetDouble(4), 6), Math.Round(r.GetDouble(5), 6) } });
        }
        return Results.Ok(found);
    }

    private static async Task<IResult> ReadAsync(string kind, string code, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!Assets.AssetKinds.All.Contains(kind))
        {
            return Results.Problem($"시설 종류 '{kind}'를 모릅니다.", title: "시설이 없습니다", statusCode: 404);
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        // The kind's own row as JSON: every kind table is keyed by asset_id (its name is the kind).
        await using var find = new NpgsqlCommand($"""
            SELECT a.id, a.name, a.address, coalesce(z.name, a.admin_area_code), a.grade, a.closed_at, a.closed_reason, a.overdue,
                   (to_jsonb(k) - 'asset_id')::text, ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom)), a.status, a.is_sample
            FROM asset a LEFT JOIN {kind} k ON k.asset_id = a.id LEFT JOIN admin_area z ON z.code = a.admin_area_code
            WHERE a.kind = $1 AND a.code = $2
            """, conn) { Parameters = { new() { Value = kind }, new() { Value = code } } };
        long id;
        object asset;
        await using (var r = await find.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return Results.Problem($"{Assets.AssetKinds.KoreanName(kind)} '{code}'가 없습니다.", title: "시설이 없습니다", statusCode: 404);
            }
            id = r.GetInt64(0);
            asset = new
            {
                kind, kindName = Assets.AssetKinds.KoreanName(kind), code, name = r.GetString(1), address = r.IsDBNull(2) ? null : r.GetString(2),
                area = r.IsDBNull(3) ? null : r.GetString(3), grade = r.IsDBNull(4) ? null : r.GetString(4),
                closed = r.IsDBNull(5) ? null : new { at = r.GetFieldValue<DateTimeOffset>(5), reason = r.GetString(6) },
                overdue = r.GetBoolean(7), properties = r.IsDBNull(8) ? [] : Labelled(kind, r.GetString(8)),
                at = new[] { Math.Round(r.GetDouble(9), 6), Math.Round(r.GetDouble(10), 6) }, status = r.GetString(11), isSample = r.GetBoolean(12),
            };
        }
        var programs = (await ComplianceStatus.ComputeAsync(conn, null, clock.GetUtcNow(), ct, id))
            .Select(s => new { s.Program, state = s.Status.Code, dueOn = s.Status.DueOn, period = s.Status.Period, s.LastFinishedAt, s.Department });

        var inspections = new List<object>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT i.id, i.receipt, i.program, v.definition->>'name', i.grade, i.finished_at, u.display_name,
                   coalesce((SELECT array_agg(p.photo_id ORDER BY p.photo_id) FROM inspection_photo p WHERE p.inspection_id = i.id AND p.received_at IS NOT NULL), '{}')
            FROM inspection i JOIN program_version v ON v.program = i.program AND v.version = i.program_version JOIN app_user u ON u.id = i.inspector_id
            WHERE i.asset_id = $1 ORDER BY i.finished_at DESC LIMIT 20
            """, conn) { Parameters = { new() { Value = id } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var inspection = r.GetGuid(0);
                inspections.Add(new
                {
                    id = inspection, receipt = r.GetString(1), program = r.GetString(2), programName = r.GetString(3), grade = r.IsDBNull(4) ? null : r.GetString(4),
                    finishedAt = r.GetFieldValue<DateTimeOffset>(5), inspector = r.GetString(6),
                    photos = r.GetFieldValue<Guid[]>(7).Select(p => $"/api/inspections/{inspection}/photos/{p}").ToArray(),
                });
            }
        }
        var findings = new List<object>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT f.id, f.label, f.judged, f.due_on, f.state FROM finding f WHERE f.asset_id = $1 AND f.state <> 'confirmed' ORDER BY f.due_on, f.id
            """, conn) { Parameters = { new() { Value = id } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                findings.Add(new { id = r.GetInt64(0), label = r.GetString(1), judged = r.GetString(2), dueOn = r.GetFieldValue<DateOnly>(3), state = r.GetString(4) });
            }
        }
        var followUps = new List<object>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT u.id, u.kind, u.due_on, u.done_at FROM follow_up u WHERE u.asset_id = $1 ORDER BY u.done_at IS NOT NULL, u.due_on, u.id
            """, conn) { Parameters = { new() { Value = id } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                followUps.Add(new { id = r.GetInt64(0), kind = r.GetString(1), label = ComplianceEndpoints.FollowUpLabel(r.GetString(1)),
                    dueOn = r.GetFieldValue<DateOnly>(2), doneAt = r.IsDBNull(3) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(3) });
            }
        }
        return Results.Ok(new { asset, programs, inspections, findings, followUps });
    }
}
