using Paju.Field.Events;

namespace Paju.Field.Tests.Events;

/// <summary>Each step of the review, from which state, and who may take it.</summary>
public sealed class EventWorkflowTests
{
    private static readonly DateTimeOffset Now = new(2027, 5, 1, 10, 0, 0, TimeSpan.FromHours(9));
    private static readonly DateTimeOffset Ended = Now.AddDays(-1);
    private static readonly DateTimeOffset NotYetEnded = Now.AddDays(10);

    private static EventSnapshot At(string state, string? result = null, string[]? opinions = null, int findings = 0, bool required = true,
        DateTimeOffset? ends = null) =>
        new(state, required, result, ends ?? Ended, (opinions ?? []).ToHashSet(), findings);

    private static HashSet<EventParty> As(params EventParty[] parties) => [.. parties];

    public static TheoryData<EventAction, string, string?, EventParty, bool> Steps => new()
    {
        // action, from state, review result, who, allowed
        { EventAction.SubmitPlan, EventStates.Registered, null, EventParty.Organiser, true },
        { EventAction.SubmitPlan, EventStates.Registered, null, EventParty.Admin, true },
        { EventAction.SubmitPlan, EventStates.Registered, null, EventParty.Division, false },
        { EventAction.SubmitPlan, EventStates.Registered, null, EventParty.Committee, false },
        { EventAction.SubmitPlan, EventStates.Reviewed, ReviewResults.Supplement, EventParty.Organiser, true },   // 보완: the plan comes back
        { EventAction.SubmitPlan, EventStates.Reviewed, ReviewResults.Adequate, EventParty.Organiser, false },
        { EventAction.SubmitPlan, EventStates.PlanReceived, null, EventParty.Organiser, false },
        { EventAction.GiveOpinion, EventStates.PlanReceived, null, EventParty.Committee, true },
        { EventAction.GiveOpinion, EventStates.PlanReceived, null, EventParty.Division, false },
        { EventAction.GiveOpinion, EventStates.PlanReceived, null, EventParty.Admin, false },
        { EventAction.GiveOpinion, EventStates.Registered, null, EventParty.Committee, false },
        { EventAction.Review, EventStates.PlanReceived, null, EventParty.Division, true },
        { EventAction.Review, EventStates.PlanReceived, null, EventParty.Admin, true },
        { EventAction.Review, EventStates.PlanReceived, null, EventParty.Organiser, false },
        { EventAction.Review, EventStates.PlanReceived, null, EventParty.Committee, false },
        { EventAction.Review, EventStates.Registered, null, EventParty.Division, false },
        { EventAction.JointInspection, EventStates.Reviewed, ReviewResults.Adequate, EventParty.Division, true },
        { EventAction.JointInspection, EventStates.Reviewed, ReviewResults.Conditional, EventParty.Division, true },
        { EventAction.JointInspection, EventStates.Reviewed, ReviewResults.Supplement, EventParty.Division, false },
        { EventAction.JointInspection, EventStates.Reviewed, ReviewResults.Adequate, EventParty.Organiser, false },
        { EventAction.JointInspection, EventStates.PlanReceived, null, EventParty.Division, false },
        { EventAction.ConfirmCorrections, EventStates.Inspected, ReviewResults.Adequate, EventParty.Division, true },
        { EventAction.ConfirmCorrections, EventStates.Inspected, ReviewResults.Adequate, EventParty.Organiser, false },
        { EventAction.ConfirmCorrections, EventStates.Reviewed, ReviewResults.Adequate, EventParty.Division, false },
        { EventAction.Close, EventStates.CorrectionsConfirmed, ReviewResults.Adequate, EventParty.Division, true },
        { EventAction.Close, EventStates.CorrectionsConfirmed, ReviewResults.Adequate, EventParty.Admin, true },
        { EventAction.Close, EventStates.CorrectionsConfirmed, ReviewResults.Adequate, EventParty.Organiser, false },
        { EventAction.Close, EventStates.Inspected, ReviewResults.Adequate, EventParty.Division, false },
        { EventAction.Close, EventStates.Closed, ReviewResults.Adequate, EventParty.Division, false },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public void A_step_is_taken_only_from_its_state_and_by_its_party(EventAction action, string state, string? result, EventParty who, bool allowed)
    {
        var refusal = EventWorkflow.Refusal(action, At(state, result, ["fire", "police"]), As(who), Now);
        Assert.True(allowed == (refusal is null), refusal ?? $"{who} took {action} from {state}");
        if (!allowed)
        {
            Assert.Matches("[가-힣]", refusal!);   // said in Korean
        }
    }

    [Fact]
    public void The_committee_decides_only_after_hearing_both_fire_and_police()
    {
        var division = As(EventParty.Division);
        Assert.Contains("소방·경찰", EventWorkflow.Refusal(EventAction.Review, At(EventStates.PlanReceived), division, Now));
        Assert.Contains("경찰", EventWorkflow.Refusal(EventAction.Review, At(EventStates.PlanReceived, opinions: ["fire", "city"]), division, Now));
        Assert.Null(EventWorkflow.Refusal(EventAction.Review, At(EventStates.PlanReceived, opinions: ["fire", "police"]), division, Now));
    }

    [Fact]
    public void Corrections_cannot_be_confirmed_while_a_finding_is_not_confirmed()
    {
        var refusal = EventWorkflow.Refusal(EventAction.ConfirmCorrections, At(EventStates.Inspected, ReviewResults.Adequate, findings: 2), As(EventParty.Division), Now);
        Assert.Contains("지적사항 2건", refusal);
    }

    [Fact]
    public void An_event_is_closed_only_after_it_ended()
    {
        var division = As(EventParty.Division);
        Assert.Contains("아직 끝나지", EventWorkflow.Refusal(EventAction.Close, At(EventStates.CorrectionsConfirmed, ReviewResults.Adequate, ends: NotYetEnded), division, Now));
    }

    [Fact]
    public void An_event_that_needs_no_review_has_no_steps_but_its_close()
    {
        var noReview = At(EventStates.Registered, required: false);
        Assert.Contains("심의 대상이 아닌", EventWorkflow.Refusal(EventAction.SubmitPlan, noReview, As(EventParty.Organiser), Now));
        Assert.Null(EventWorkflow.Refusal(EventAction.Close, noReview, As(EventParty.Division), Now));
    }

    [Fact]
    public void Someone_with_no_part_in_the_event_may_take_no_step()
    {
        foreach (var action in Enum.GetValues<EventAction>())
        {
            Assert.StartsWith("이 단계는", EventWorkflow.Refusal(action, At(EventStates.PlanReceived, opinions: ["fire", "police"]), As(), Now));
        }
    }
}
