using Paju.Field.Events;

namespace Paju.Field.Tests.Events;

/// <summary>The ordinance's rule at its boundaries, and the plan's deadline in Seoul days across month and year ends.</summary>
public sealed class EventReviewRuleTests
{
    private static readonly EventReviewRule Rule = EventReviewRule.Parse(ShippedRule()).Rule!;

    /// <summary>Version 1 as the migration stores it, so these tests judge the rule the product ships.</summary>
    private static string ShippedRule()
    {
        using var stream = typeof(Paju.Field.Server.Events.EventStore).Assembly.GetManifestResourceStream("migrations/0021_event_reviews.sql")!;
        var migration = new StreamReader(stream).ReadToEnd();
        var start = migration.IndexOf("$json$", StringComparison.Ordinal) + "$json$".Length;
        return migration[start..migration.IndexOf("$json$", start, StringComparison.Ordinal)];
    }

    private static EventFacts Facts(int people, bool ceremony = false, bool indoor = false, bool structures = true, bool mountain = false,
        bool water = false, bool fire = false, bool fireworks = false, bool gas = false) =>
        new(people, ceremony, indoor, structures, mountain, water, fire, fireworks, gas);

    [Theory]
    [InlineData(499, false)]
    [InlineData(500, true)]
    [InlineData(999, true)]
    [InlineData(1000, true)]
    [InlineData(0, false)]
    public void An_outdoor_event_with_structures_needs_a_review_from_500_people(int people, bool required)
    {
        var decision = Rule.Decide(Facts(people));
        Assert.Equal(required, decision.Required);
        Assert.Contains($"예상 인원 {people:N0}명", decision.Reason);
    }

    [Theory]
    [InlineData(500, true, false, true)]    // a simple ceremony
    [InlineData(999, true, false, true)]
    [InlineData(999, false, true, true)]    // indoors
    [InlineData(750, false, false, false)]  // no temporary structures
    public void From_500_to_999_a_simple_ceremony_an_indoor_event_or_one_without_structures_is_exempt(int people, bool ceremony, bool indoor, bool structures)
    {
        var decision = Rule.Decide(Facts(people, ceremony, indoor, structures));
        Assert.False(decision.Required);
        Assert.Contains("제외됩니다", decision.Reason);
        Assert.Contains(ceremony ? "단순 의식 행사" : indoor ? "실내 행사" : "임시 구조물 없음", decision.Reason);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    public void From_1000_the_exemptions_no_longer_apply(bool ceremony, bool indoor, bool noStructures)
    {
        Assert.True(Rule.Decide(Facts(1000, ceremony, indoor, !noStructures)).Required);
    }

    [Theory]
    [InlineData("on_mountain", "산에서 열림")]
    [InlineData("on_water", "수상에서 열림")]
    [InlineData("fire", "불 사용")]
    [InlineData("fireworks", "불꽃(폭죽) 사용")]
    [InlineData("gas", "가스 사용")]
    public void On_a_mountain_or_water_or_with_fire_fireworks_or_gas_any_event_needs_a_review(string fact, string words)
    {
        // A small indoor ceremony of 30 people: exempt on every other count.
        var facts = Facts(30, ceremony: true, indoor: true, structures: false, mountain: fact == "on_mountain", water: fact == "on_water",
            fire: fact == "fire", fireworks: fact == "fireworks", gas: fact == "gas");
        var decision = Rule.Decide(facts);
        Assert.True(decision.Required);
        Assert.Contains(words, decision.Reason);
        Assert.Contains("인원과 관계없이", decision.Reason);
    }

    [Fact]
    public void Fireworks_under_500_people_still_need_a_review()
    {
        Assert.True(Rule.Decide(Facts(499, fireworks: true)).Required);
        Assert.False(Rule.Decide(Facts(499)).Required);
    }

    [Theory]
    // The plan is due 21 Seoul days before the Seoul day the event starts.
    [InlineData("2027-05-22T10:00:00+09:00", "2027-05-01")]
    [InlineData("2027-03-10T18:00:00+09:00", "2027-02-17")]   // across the end of February (28 days)
    [InlineData("2028-03-10T18:00:00+09:00", "2028-02-18")]   // a leap year's February
    [InlineData("2027-01-15T10:00:00+09:00", "2026-12-25")]   // across the year's end
    [InlineData("2027-01-21T23:30:00+09:00", "2026-12-31")]
    [InlineData("2027-01-21T15:30:00Z", "2027-01-01")]        // 00:30 on 22 January in Seoul: the Seoul day counts, not UTC's
    public void The_plan_is_due_21_Seoul_days_before_the_start(string startsAt, string dueOn)
    {
        Assert.Equal(DateOnly.Parse(dueOn), Rule.PlanDueOn(DateTimeOffset.Parse(startsAt)));
    }

    [Theory]
    [InlineData("2026-12-31T23:59:00+09:00", false)]   // the last minute of the due day, Seoul
    [InlineData("2026-12-31T15:30:00Z", true)]          // 00:30 on 1 January in Seoul: late, though still 31 December in UTC
    [InlineData("2026-12-30T09:00:00+09:00", false)]
    public void A_plan_received_after_its_due_day_in_Seoul_is_late(string receivedAt, bool late)
    {
        Assert.Equal(late, EventReviewRule.IsLate(DateTimeOffset.Parse(receivedAt), new DateOnly(2026, 12, 31)));
    }

    [Fact]
    public void A_rule_that_cannot_be_applied_is_refused_with_its_reasons()
    {
        var (rule, problems) = EventReviewRule.Parse("""
            {"attendanceThreshold": 0, "exemptionsApplyBelow": 1000, "exemptions": [{"fact": "on_moon", "is": true, "label": "달"}],
             "alwaysRequired": [], "planDueDaysBefore": 21, "remindDaysBeforeDue": []}
            """);
        Assert.Null(rule);
        Assert.Contains(problems, p => p.Contains("attendanceThreshold"));
        Assert.Contains(problems, p => p.Contains("on_moon"));
        Assert.Contains("읽을 수 없습니다", EventReviewRule.Parse("{\"attendanceThreshold\": \"many\"}").Problems[0]);
    }

    [Fact]
    public void A_changed_ordinance_is_an_edit_of_the_rule_the_threshold_moves_with_it()
    {
        var stricter = Rule with { AttendanceThreshold = 300, ExemptionsApplyBelow = 1000 };
        Assert.True(stricter.Decide(Facts(300)).Required);
        Assert.False(Rule.Decide(Facts(300)).Required);
    }
}
