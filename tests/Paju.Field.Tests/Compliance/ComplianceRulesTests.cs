using Paju.Field.Compliance;

namespace Paju.Field.Tests.Compliance;

/// <summary>The statute's dates in Asia/Seoul: month, half-year and year ends, and the periodic validity's start rule both ways.</summary>
public sealed class ComplianceRulesTests
{
    private static DateTimeOffset Seoul(string local) => DateTimeOffset.Parse(local + "+09:00");

    private static readonly DateTimeOffset LongAgo = Seoul("2024-01-01T00:00:00");

    [Theory]
    // Checked on 31 December at 23:30 in Paju (already 14:30 UTC): December is done until midnight Seoul time…
    [InlineData("2026-12-31T23:30:00", "2026-12-31T23:59:00", "done", "2026-12-31")]
    // …and at 00:10 on 1 January in Paju (still 31 December in UTC) January is a new month: due, and soon.
    [InlineData("2026-12-31T23:30:00", "2027-01-01T00:10:00", "due", "2027-01-31")]
    // A whole month without a check: overdue, from the first day of the next.
    [InlineData("2026-11-15T10:00:00", "2027-01-01T00:10:00", "overdue", "2027-01-31")]
    [InlineData("2026-12-03T10:00:00", "2026-12-28T09:00:00", "done", "2026-12-31")]
    [InlineData("2026-11-03T10:00:00", "2026-12-26T09:00:00", "due_soon", "2026-12-31")]
    public void Monthly_checks_follow_the_Seoul_calendar(string last, string now, string state, string dueOn)
    {
        var status = ComplianceRules.Monthly(Seoul(last), LongAgo, Seoul(now));

        Assert.Equal(state, status.Code);
        Assert.Equal(DateOnly.Parse(dueOn), status.DueOn);
    }

    [Fact]
    public void A_playground_new_this_month_is_due_not_overdue_and_one_never_checked_since_last_month_is_overdue()
    {
        var now = Seoul("2026-12-10T09:00:00");

        Assert.Equal("due", ComplianceRules.Monthly(null, Seoul("2026-12-02T09:00:00"), now).Code);
        Assert.Equal("overdue", ComplianceRules.Monthly(null, Seoul("2026-11-20T09:00:00"), now).Code);
    }

    [Theory]
    // 30 June 23:50 in Paju is 상반기; 1 July 00:05 in Paju (30 June in UTC) is 하반기.
    [InlineData("2025-10-10T10:00:00", "2026-06-30T23:50:00", "due_soon", "2026-06-30", "2026년 상반기")]
    [InlineData("2026-03-10T10:00:00", "2026-07-01T00:05:00", "due", "2026-12-31", "2026년 하반기")]
    [InlineData("2025-10-10T10:00:00", "2026-07-01T00:05:00", "overdue", "2026-12-31", "2026년 하반기")]
    [InlineData("2026-12-31T23:59:00", "2027-01-01T00:01:00", "due", "2027-06-30", "2027년 상반기")]
    public void The_half_yearly_check_follows_the_Seoul_half_years(string last, string now, string state, string dueOn, string period)
    {
        var status = ComplianceRules.Semiannual(Seoul(last), LongAgo, Seoul(now));

        Assert.Equal(state, status.Code);
        Assert.Equal(DateOnly.Parse(dueOn), status.DueOn);
        Assert.Equal(period, status.Period);
    }

    [Theory]
    // More than a month of the old validity left: the new one starts on the pass date.
    [InlineData("2026-03-15", "2026-06-30", "2026-03-15", "2028-03-14")]
    // A month or less left: it starts the day after the old one ends, so nothing is lost by passing early.
    [InlineData("2026-06-05", "2026-06-30", "2026-07-01", "2028-06-30")]
    [InlineData("2026-05-30", "2026-06-30", "2026-07-01", "2028-06-30")]
    // Expired already, or no validity known: from the pass date.
    [InlineData("2026-08-01", "2026-06-30", "2026-08-01", "2028-07-31")]
    [InlineData("2026-08-01", null, "2026-08-01", "2028-07-31")]
    public void The_periodic_validity_starts_by_the_statutes_rule(string passed, string? previousUntil, string from, string until)
    {
        var (start, end) = ComplianceRules.PeriodicValidity(DateOnly.Parse(passed), previousUntil is null ? null : DateOnly.Parse(previousUntil));

        Assert.Equal(DateOnly.Parse(from), start);
        Assert.Equal(DateOnly.Parse(until), end);
    }

    [Theory]
    [InlineData("2028-06-30", "2028-03-01", "done")]
    [InlineData("2028-06-30", "2028-05-10", "due_soon")]
    [InlineData("2028-06-30", "2028-05-30", "due")] // the application date: one month before the end
    [InlineData("2028-06-30", "2028-07-01", "overdue")]
    public void The_periodic_application_falls_due_a_month_before_the_validity_ends(string until, string today, string state)
    {
        var status = ComplianceRules.Periodic(DateOnly.Parse(until), DateOnly.Parse(today));

        Assert.Equal(state, status.Code);
        Assert.Equal(DateOnly.Parse(until).AddMonths(-1), status.DueOn);
    }
}
