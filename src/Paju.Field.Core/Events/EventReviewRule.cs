using System.Text.Json;
using System.Text.Json.Serialization;
using Paju.Field.Calendar;

namespace Paju.Field.Events;

/// <summary>
/// What the rule may look at: the event's expected attendance and the yes/no facts of its venue and programme. The names
/// are the JSON and database names (<c>on_water</c>, …); a rule can only refer to these.
/// </summary>
public sealed record EventFacts(int ExpectedAttendance, bool SimpleCeremony, bool Indoor, bool TemporaryStructures,
    bool OnMountain, bool OnWater, bool Fire, bool Fireworks, bool Gas)
{
    public static readonly IReadOnlyDictionary<string, string> KoreanNames = new Dictionary<string, string>
    {
        ["simple_ceremony"] = "단순 의식 행사",
        ["indoor"] = "실내 행사",
        ["temporary_structures"] = "임시 구조물 설치",
        ["on_mountain"] = "산에서 열림",
        ["on_water"] = "수상에서 열림",
        ["fire"] = "불 사용",
        ["fireworks"] = "불꽃(폭죽) 사용",
        ["gas"] = "가스 사용",
    };

    public bool Get(string fact) => fact switch
    {
        "simple_ceremony" => SimpleCeremony,
        "indoor" => Indoor,
        "temporary_structures" => TemporaryStructures,
        "on_mountain" => OnMountain,
        "on_water" => OnWater,
        "fire" => Fire,
        "fireworks" => Fireworks,
        "gas" => Gas,
        _ => throw new ArgumentException($"unknown fact {fact}", nameof(fact)),
    };
}

/// <summary>One condition of the rule: a fact having a value, and how people say it.</summary>
public sealed record FactCondition(
    [property: JsonPropertyName("fact")] string Fact,
    [property: JsonPropertyName("is")] bool Is,
    [property: JsonPropertyName("label")] string Label);

/// <summary>Whether an event needs a safety review, and why, in words.</summary>
public sealed record ReviewDecision(bool Required, string Reason);

/// <summary>
/// The ordinance's rule as data (지역축제·행사 안전관리): a review is required from <see cref="AttendanceThreshold"/> people;
/// below <see cref="ExemptionsApplyBelow"/> an event meeting any exemption (simple ceremony, indoors, no temporary
/// structures) is exempt; an event meeting any always-required condition (mountain, water, fire, fireworks, gas) needs
/// one at any size. The plan is due <see cref="PlanDueDaysBefore"/> days before the start, in Seoul days. A change of the
/// ordinance is a new version of this document, not a release.
/// </summary>
public sealed record EventReviewRule(
    [property: JsonPropertyName("attendanceThreshold")] int AttendanceThreshold,
    [property: JsonPropertyName("exemptionsApplyBelow")] int ExemptionsApplyBelow,
    [property: JsonPropertyName("exemptions")] IReadOnlyList<FactCondition> Exemptions,
    [property: JsonPropertyName("alwaysRequired")] IReadOnlyList<FactCondition> AlwaysRequired,
    [property: JsonPropertyName("planDueDaysBefore")] int PlanDueDaysBefore,
    [property: JsonPropertyName("remindDaysBeforeDue")] IReadOnlyList<int> RemindDaysBeforeDue)
{
    private static readonly JsonSerializerOptions Json = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>Reads a rule document and says in Korean what is wrong with it, so an edit cannot store a rule that cannot be applied.</summary>
    public static (EventReviewRule? Rule, IReadOnlyList<string> Problems) Parse(string json)
    {
        EventReviewRule? rule;
        try
        {
            rule = JsonSerializer.Deserialize<EventReviewRule>(json, Json);
        }
        catch (JsonException e)
        {
            return (null, [$"규칙 문서를 읽을 수 없습니다: {e.Message}"]);
        }
        if (rule is null)
        {
            return (null, ["규칙 문서가 비어 있습니다."]);
        }
        var problems = rule.Problems().ToList();
        return problems.Count == 0 ? (rule, []) : (null, problems);
    }

    private IEnumerable<string> Problems()
    {
        if (AttendanceThreshold < 1)
        {
            yield return "예상 인원 기준(attendanceThreshold)은 1 이상이어야 합니다.";
        }
        if (ExemptionsApplyBelow < AttendanceThreshold)
        {
            yield return "제외 적용 상한(exemptionsApplyBelow)은 인원 기준보다 작을 수 없습니다.";
        }
        if (PlanDueDaysBefore is < 1 or > 365)
        {
            yield return "계획서 제출 기한(planDueDaysBefore)은 1~365일 전이어야 합니다.";
        }
        foreach (var c in (Exemptions ?? []).Concat(AlwaysRequired ?? []))
        {
            if (c is null || !EventFacts.KoreanNames.ContainsKey(c.Fact ?? ""))
            {
                yield return $"조건의 사실(fact) '{c?.Fact}'을(를) 모릅니다: {string.Join(", ", EventFacts.KoreanNames.Keys)} 중 하나입니다.";
            }
            else if (string.IsNullOrWhiteSpace(c.Label))
            {
                yield return $"조건 '{c.Fact}'에 사람이 읽을 이름(label)이 필요합니다.";
            }
        }
        if (Exemptions is null || AlwaysRequired is null || RemindDaysBeforeDue is null)
        {
            yield return "exemptions, alwaysRequired, remindDaysBeforeDue 목록이 모두 필요합니다 (비어 있어도 됩니다).";
        }
        else if (RemindDaysBeforeDue.Any(d => d is < 0 or > 365))
        {
            yield return "알림 일수(remindDaysBeforeDue)는 0~365일입니다.";
        }
    }

    public ReviewDecision Decide(EventFacts facts)
    {
        var always = AlwaysRequired.Where(c => facts.Get(c.Fact) == c.Is).Select(c => c.Label).ToList();
        if (always.Count > 0)
        {
            return new(true, $"{string.Join(", ", always)}: 인원과 관계없이 심의 대상입니다.");
        }
        var people = $"예상 인원 {facts.ExpectedAttendance:N0}명";
        if (facts.ExpectedAttendance < AttendanceThreshold)
        {
            return new(false, $"{people} ({AttendanceThreshold:N0}명 미만)이고 산·수상·화기 사용이 없어 심의 대상이 아닙니다.");
        }
        if (facts.ExpectedAttendance < ExemptionsApplyBelow)
        {
            var exempt = Exemptions.Where(c => facts.Get(c.Fact) == c.Is).Select(c => c.Label).ToList();
            if (exempt.Count > 0)
            {
                return new(false, $"{people} ({AttendanceThreshold:N0}~{ExemptionsApplyBelow - 1:N0}명)이고 {string.Join(", ", exempt)}이므로 제외됩니다.");
            }
        }
        return new(true, $"{people} ({AttendanceThreshold:N0}명 이상): 심의 대상입니다.");
    }

    /// <summary>The plan's due date: so many Seoul calendar days before the Seoul day the event starts.</summary>
    public DateOnly PlanDueOn(DateTimeOffset startsAt) =>
        DateOnly.FromDateTime(SeoulCalendar.ToSeoul(startsAt).DateTime).AddDays(-PlanDueDaysBefore);

    /// <summary>A plan received after the end of its due day (Seoul) is late.</summary>
    public static bool IsLate(DateTimeOffset receivedAt, DateOnly dueOn) =>
        DateOnly.FromDateTime(SeoulCalendar.ToSeoul(receivedAt).DateTime) > dueOn;
}
