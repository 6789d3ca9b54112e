namespace Paju.Field.Events;

/// <summary>등록 → 계획서 접수 → 심의 → 현장 합동점검 → 보완 확인 → 종료. The names are the database values.</summary>
public static class EventStates
{
    public const string Registered = "registered";
    public const string PlanReceived = "plan_received";
    public const string Reviewed = "reviewed";
    public const string Inspected = "inspected";
    public const string CorrectionsConfirmed = "corrections_confirmed";
    public const string Closed = "closed";

    public static readonly IReadOnlyList<string> All = [Registered, PlanReceived, Reviewed, Inspected, CorrectionsConfirmed, Closed];

    public static string KoreanName(string state) => state switch
    {
        Registered => "등록",
        PlanReceived => "계획서 접수",
        Reviewed => "심의 완료",
        Inspected => "현장 합동점검 완료",
        CorrectionsConfirmed => "보완 확인",
        Closed => "종료",
        _ => state,
    };
}

/// <summary>The committee's result: 적정, 조건부 적정, 보완 (the plan comes back, corrected, for another review).</summary>
public static class ReviewResults
{
    public const string Adequate = "adequate";
    public const string Conditional = "conditional";
    public const string Supplement = "supplement";

    public static readonly IReadOnlyList<string> All = [Adequate, Conditional, Supplement];

    public static string KoreanName(string result) => result switch
    {
        Adequate => "적정",
        Conditional => "조건부 적정",
        Supplement => "보완",
        _ => result,
    };
}

/// <summary>Who takes part: the organising department, the Safety Management Division, committee members, administrators.</summary>
public enum EventParty { Organiser, Division, Committee, Admin }

public enum EventAction { SubmitPlan, GiveOpinion, Review, JointInspection, ConfirmCorrections, Close }

/// <summary>What the workflow needs to know of an event to judge a step.</summary>
public sealed record EventSnapshot(string State, bool ReviewRequired, string? ReviewResult, DateTimeOffset EndsAt,
    IReadOnlySet<string> OpinionsFrom, int UnconfirmedFindings);

/// <summary>
/// Which step may be taken, by whom, from where — one place for the API, the inspection engine's hook and the tests. A
/// refusal is the reason in Korean; null means the step may be taken.
/// </summary>
public static class EventWorkflow
{
    /// <summary>The committee must have heard the fire service and the police before it decides.</summary>
    public static readonly IReadOnlyList<string> RequiredOpinions = ["fire", "police"];

    public static readonly IReadOnlyDictionary<string, string> Organisations = new Dictionary<string, string>
    {
        ["fire"] = "소방",
        ["police"] = "경찰",
        ["city"] = "시",
        ["expert"] = "민간 전문가",
    };

    private static readonly Dictionary<EventAction, EventParty[]> Who = new()
    {
        [EventAction.SubmitPlan] = [EventParty.Organiser, EventParty.Admin],
        [EventAction.GiveOpinion] = [EventParty.Committee],
        [EventAction.Review] = [EventParty.Division, EventParty.Admin],
        [EventAction.JointInspection] = [EventParty.Division, EventParty.Admin],
        [EventAction.ConfirmCorrections] = [EventParty.Division, EventParty.Admin],
        [EventAction.Close] = [EventParty.Division, EventParty.Admin],
    };

    public static string WhoMay(EventAction action) => string.Join(", ", Who[action].Select(PartyName));

    public static string PartyName(EventParty party) => party switch
    {
        EventParty.Organiser => "주관 부서",
        EventParty.Division => "안전총괄과",
        EventParty.Committee => "위원회 위원",
        _ => "관리자",
    };

    /// <summary>The state a step leads to (giving an opinion stays where it is).</summary>
    public static string Next(EventAction action, string state) => action switch
    {
        EventAction.SubmitPlan => EventStates.PlanReceived,
        EventAction.GiveOpinion => state,
        EventAction.Review => EventStates.Reviewed,
        EventAction.JointInspection => EventStates.Inspected,
        EventAction.ConfirmCorrections => EventStates.CorrectionsConfirmed,
        EventAction.Close => EventStates.Closed,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public static string? Refusal(EventAction action, EventSnapshot e, IReadOnlySet<EventParty> parties, DateTimeOffset now)
    {
        if (!Who[action].Any(parties.Contains))
        {
            return $"이 단계는 {WhoMay(action)}만 할 수 있습니다.";
        }
        var state = EventStates.KoreanName(e.State);
        if (e.State == EventStates.Closed)
        {
            return "종료된 행사입니다.";
        }
        if (!e.ReviewRequired && action != EventAction.Close)
        {
            return "안전관리 심의 대상이 아닌 행사입니다. 행사가 끝나면 종료만 기록합니다.";
        }
        switch (action)
        {
            case EventAction.SubmitPlan:
                if (e.State == EventStates.Registered || (e.State == EventStates.Reviewed && e.ReviewResult == ReviewResults.Supplement))
                {
                    return null;
                }
                return $"계획서는 등록된 행사이거나 심의 결과가 '보완'일 때 냅니다 (지금: {state}).";
            case EventAction.GiveOpinion:
                return e.State == EventStates.PlanReceived ? null : $"의견은 계획서가 접수되어 심의 중일 때 냅니다 (지금: {state}).";
            case EventAction.Review:
                if (e.State != EventStates.PlanReceived)
                {
                    return $"심의 결과는 계획서가 접수된 뒤에 기록합니다 (지금: {state}).";
                }
                var missing = RequiredOpinions.Where(o => !e.OpinionsFrom.Contains(o)).Select(o => Organisations[o]).ToList();
                return missing.Count == 0 ? null : $"{string.Join("·", missing)} 위원의 의견이 아직 없습니다. 의견을 들은 뒤 심의 결과를 기록합니다.";
            case EventAction.JointInspection:
                if (e.State != EventStates.Reviewed)
                {
                    return $"현장 합동점검은 심의가 끝난 뒤에 합니다 (지금: {state}).";
                }
                return e.ReviewResult == ReviewResults.Supplement ? "심의 결과가 '보완'입니다. 보완한 계획서를 다시 심의한 뒤 점검합니다." : null;
            case EventAction.ConfirmCorrections:
                if (e.State != EventStates.Inspected)
                {
                    return $"보완 확인은 현장 합동점검 뒤에 합니다 (지금: {state}).";
                }
                return e.UnconfirmedFindings == 0 ? null
                    : $"지적사항 {e.UnconfirmedFindings}건이 아직 보완·확인되지 않았습니다. 각 지적사항의 수리와 확인이 끝나야 합니다.";
            case EventAction.Close:
                if (e.ReviewRequired && e.State != EventStates.CorrectionsConfirmed)
                {
                    return $"종료는 보완 확인 뒤에 기록합니다 (지금: {state}).";
                }
                return now < e.EndsAt ? "행사가 아직 끝나지 않았습니다. 끝난 뒤 사고 여부와 함께 종료를 기록합니다." : null;
            default:
                throw new ArgumentOutOfRangeException(nameof(action));
        }
    }
}
