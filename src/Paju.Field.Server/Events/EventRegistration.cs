using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using Paju.Field.Events;
using Paju.Field.Geography;

namespace Paju.Field.Server.Events;

/// <summary>
/// An event as its organising department registers it (<c>POST /api/events</c>), read and checked before anything reaches
/// SQL: the venue is a GeoJSON point or polygon inside Paju, the times are instants with their offset, the facts the rule
/// looks at are yes/no. Every problem is said in Korean, all at once.
/// </summary>
public sealed record EventRegistration(string Name, string? OrganiserDepartment, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    Geometry Venue, string? Address, EventFacts Facts)
{
    public const int MaxNameLength = 200;
    public const int MaxAttendance = 10_000_000;

    private static readonly JsonSerializerOptions GeometryOptions = new()
    {
        Converters = { new GeoJsonConverterFactory(new GeometryFactory(new PrecisionModel(), 4326), false) },
    };

    /// <summary>The JSON names of the facts, as the API and the database call them.</summary>
    private static readonly string[] FactNames =
        ["simple_ceremony", "indoor", "temporary_structures", "on_mountain", "on_water", "fire", "fireworks", "gas"];

    public static (EventRegistration? Registration, List<string> Problems) Parse(JsonElement body)
    {
        var problems = new List<string>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, ["행사 정보는 JSON 객체로 보내야 합니다."]);
        }
        var name = Text(body, "name", problems, required: true);
        if (name is { Length: > MaxNameLength })
        {
            problems.Add($"행사 이름(name)은 {MaxNameLength}자 이하입니다.");
        }
        var department = Text(body, "organiserDepartment", problems, required: false);
        var address = Text(body, "address", problems, required: false);
        var startsAt = Instant(body, "startsAt", problems);
        var endsAt = Instant(body, "endsAt", problems);
        if (startsAt is not null && endsAt is not null && endsAt <= startsAt)
        {
            problems.Add("끝나는 시각(endsAt)은 시작 시각(startsAt)보다 뒤여야 합니다.");
        }
        int? attendance = null;
        if (!body.TryGetProperty("expectedAttendance", out var people) || people.ValueKind != JsonValueKind.Number
            || !people.TryGetInt32(out var n) || n < 0 || n > MaxAttendance)
        {
            problems.Add($"예상 인원(expectedAttendance)은 0~{MaxAttendance:N0} 사이의 정수입니다.");
        }
        else
        {
            attendance = n;
        }
        var facts = new Dictionary<string, bool>();
        if (body.TryGetProperty("facts", out var given) && given.ValueKind != JsonValueKind.Object)
        {
            problems.Add("facts 는 예/아니오 사실의 객체입니다 (예: {\"on_water\": true}).");
        }
        else if (given.ValueKind == JsonValueKind.Object)
        {
            foreach (var fact in given.EnumerateObject())
            {
                if (!FactNames.Contains(fact.Name))
                {
                    problems.Add($"모르는 사실 '{fact.Name}': {string.Join(", ", FactNames)} 중 하나입니다.");
                }
                else if (fact.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    problems.Add($"사실 '{fact.Name}'({EventFacts.KoreanNames[fact.Name]})은 true 또는 false 입니다.");
                }
                else
                {
                    facts[fact.Name] = fact.Value.GetBoolean();
                }
            }
        }
        var venue = ReadVenue(body, problems);
        if (problems.Count > 0)
        {
            return (null, problems);
        }
        bool F(string fact) => facts.GetValueOrDefault(fact);
        return (new EventRegistration(name!, department, startsAt!.Value, endsAt!.Value, venue!, address,
            new EventFacts(attendance!.Value, F("simple_ceremony"), F("indoor"), F("temporary_structures"), F("on_mountain"), F("on_water"),
                F("fire"), F("fireworks"), F("gas"))), problems);
    }

    private static string? Text(JsonElement body, string field, List<string> problems, bool required)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problems.Add($"{field} 가 필요합니다.");
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            problems.Add($"{field} 는 비어 있지 않은 문자열입니다.");
            return null;
        }
        var text = value.GetString()!.Trim();
        // PostgreSQL text cannot hold NUL; other control characters have no place in a name or an address.
        if (text.Any(c => char.IsControl(c)))
        {
            problems.Add($"{field} 에 제어 문자가 있습니다.");
            return null;
        }
        return text.Length > 500 ? Fail(problems, $"{field} 는 500자 이하입니다.") : text;
    }

    private static string? Fail(List<string> problems, string problem)
    {
        problems.Add(problem);
        return null;
    }

    private static readonly System.Text.RegularExpressions.Regex IsoInstant =
        new(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static DateTimeOffset? Instant(JsonElement body, string field, List<string> problems)
    {
        // An offset is required: "10:00" means nothing without saying whose 10:00 (Seoul is +09:00).
        if (body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { } text
            && IsoInstant.IsMatch(text)
            && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            && at.Year is >= 2000 and <= 2100)
        {
            return at.ToUniversalTime();   // timestamptz is an instant; Seoul days are derived where they are needed
        }
        problems.Add($"{field} 는 시간대가 붙은 ISO 8601 시각입니다 (예: 2027-05-01T10:00:00+09:00).");
        return null;
    }

    private static Geometry? ReadVenue(JsonElement body, List<string> problems)
    {
        if (!body.TryGetProperty("venue", out var venue) || venue.ValueKind != JsonValueKind.Object)
        {
            problems.Add("행사장(venue)은 GeoJSON Point 또는 Polygon 입니다 (경위도, EPSG:4326).");
            return null;
        }
        Geometry? geometry;
        try
        {
            geometry = venue.Deserialize<Geometry>(GeometryOptions);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            problems.Add($"행사장(venue)을 GeoJSON 으로 읽을 수 없습니다: {e.Message}");
            return null;
        }
        if (geometry is not (Point or Polygon or MultiPolygon) || geometry.IsEmpty)
        {
            problems.Add("행사장(venue)은 Point, Polygon 또는 MultiPolygon 입니다.");
            return null;
        }
        if (geometry.Coordinates.Length > 10_000)
        {
            problems.Add("행사장 경계의 꼭짓점이 너무 많습니다 (10,000개 이하).");
            return null;
        }
        if (geometry.Coordinates.Any(c => !double.IsFinite(c.X) || !double.IsFinite(c.Y) || !PajuExtent.Contains(c.X, c.Y)))
        {
            problems.Add("행사장이 파주시 밖입니다. 경위도(경도, 위도) 순서와 좌표계(EPSG:4326)를 확인하세요.");
            return null;
        }
        if (!geometry.IsValid)
        {
            problems.Add("행사장 경계가 올바른 다각형이 아닙니다 (스스로 겹치거나 닫히지 않음).");
            return null;
        }
        geometry.SRID = 4326;
        return geometry;
    }
}
