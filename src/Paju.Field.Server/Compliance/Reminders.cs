using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Paju.Field.Calendar;
using Paju.Field.Compliance;
using Paju.Field.Server.Alarms;

namespace Paju.Field.Server.Compliance;

/// <summary>Something falling due for a department: a program's check, a periodic application, a closure's follow-up, a finding.</summary>
public sealed record Reminder(string Department, string Kind, string AssetKind, string AssetCode, string AssetName, string What, DateOnly? DueOn, string State);

/// <summary>
/// What falls due, per department: in the app (<c>GET /api/reminders</c>) and, once a day after the overdue job, through the
/// signed webhook the alarms already use to reach the city's messaging gateway (<c>{"type": "reminders", …}</c>).
/// </summary>
public sealed class Reminders(NpgsqlDataSource db, HttpClient http, EscalationOptions gateway, TimeProvider clock, ILogger<Reminders> log)
{
    /// <summary>Follow-ups and findings appear this many days before they are due.</summary>
    public const int AheadDays = 7;

    public async Task<List<Reminder>> ComputeAsync(DateTimeOffset now, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime);
        await using var conn = await db.OpenConnectionAsync(ct);
        var list = (await ComplianceStatus.ComputeAsync(conn, null, now, ct))
            .Where(s => s.Status.State is DueState.Overdue or DueState.DueSoon || (s.Program == "playground-periodic" && s.Status.State == DueState.Due))
            .Select(s => new Reminder(s.Department ?? "미지정", "program", s.Kind, s.Code, s.Name,
                s.Program == "playground-periodic" ? "정기시설검사 신청" : ProgramWord(s.Program), s.Status.DueOn, s.Status.Code))
            .ToList();
        await using var cmd = new NpgsqlCommand("""
            SELECT d.name, 'follow_up', a.kind, a.code, a.name, u.kind, u.due_on
            FROM follow_up u JOIN asset a ON a.id = u.asset_id JOIN inspection i ON i.id = u.inspection_id
                 JOIN program p ON p.code = i.program JOIN department d ON d.code = p.department
            WHERE u.done_at IS NULL AND u.due_on <= $1
            UNION ALL
            SELECT d.name, 'finding', a.kind, a.code, a.name, f.label || ' (' || f.judged || ')', f.due_on
            FROM finding f JOIN asset a ON a.id = f.asset_id JOIN department d ON d.code = f.department
            WHERE f.state = 'open' AND f.due_on <= $1
            UNION ALL
            -- An event's safety plan, from the first reminder day its rule version sets (and every day once late).
            SELECT d.name, 'event_plan', a.kind, a.code, a.name, '', e.plan_due_on
            FROM event e JOIN asset a ON a.id = e.asset_id JOIN department d ON d.code = e.organiser_department
                 JOIN event_rule_version v ON v.version = e.rule_version
            WHERE e.review_required AND e.state = 'registered'
              AND e.plan_due_on - $2::date <= coalesce((SELECT max(x::int) FROM jsonb_array_elements_text(v.definition->'remindDaysBeforeDue') x), 0)
            """, conn) { Parameters = { new() { Value = today.AddDays(AheadDays) }, new() { Value = today } } };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var kind = reader.GetString(1);
            var due = reader.GetFieldValue<DateOnly>(6);
            var what = kind switch
            {
                "follow_up" => ComplianceEndpoints.FollowUpLabel(reader.GetString(5)),
                "event_plan" => "행사 안전관리계획서 제출",
                _ => $"지적사항: {reader.GetString(5)}",
            };
            list.Add(new Reminder(reader.GetString(0), kind, reader.GetString(2), reader.GetString(3), reader.GetString(4), what, due,
                due < today ? "overdue" : "due_soon"));
        }
        return [.. list.OrderBy(r => r.Department).ThenBy(r => r.DueOn).ThenBy(r => r.AssetCode)];
    }

    /// <summary>The day's reminders to the gateway, one signed POST; false when there is no gateway or it would not take them.</summary>
    public async Task<bool> SendAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(gateway.WebhookUrl))
        {
            return false;
        }
        var reminders = await ComputeAsync(now, ct);
        if (reminders.Count == 0)
        {
            return true;
        }
        var body = JsonSerializer.Serialize(new
        {
            type = "reminders",
            date = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime),
            departments = reminders.GroupBy(r => r.Department).Select(g => new { department = g.Key, items = g }),
        }, JsonSerializerOptions.Web);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway.WebhookUrl)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add(WebhookNotifier.TimestampHeader, timestamp);
        request.Headers.Add(WebhookNotifier.SignatureHeader, "sha256=" + WebhookNotifier.Sign(gateway.Secret ?? "", timestamp, body));
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                log.LogInformation("Sent {Count} reminders for {Departments} departments to the gateway", reminders.Count, reminders.Select(r => r.Department).Distinct().Count());
                return true;
            }
            log.LogWarning("The gateway answered {Status} to the day's reminders; they stay in the app", (int)response.StatusCode);
        }
        catch (HttpRequestException e)
        {
            log.LogWarning("The gateway could not be reached for the day's reminders ({Reason}); they stay in the app", e.Message);
        }
        return false;
    }

    private static string ProgramWord(string program) => program switch
    {
        "playground-monthly" => "월 안전점검",
        "facility-semiannual" => "반기 안전·보건 의무 점검",
        _ => program,
    };
}
