using Paju.Field.Calendar;

namespace Paju.Field.Compliance;

/// <summary>Where an asset stands with one program: done this period, due, due soon, or overdue.</summary>
public enum DueState
{
    Done,
    Due,
    DueSoon,
    Overdue,
}

/// <param name="DueOn">The last day (Seoul) to do it: the period's end, or for the periodic inspection the day to apply by.</param>
/// <param name="Period">The period in words: 2026-12, 2026년 하반기, or the validity.</param>
public sealed record DueStatus(DueState State, DateOnly? DueOn, string Period)
{
    public string Code => State switch
    {
        DueState.Done => "done",
        DueState.Due => "due",
        DueState.DueSoon => "due_soon",
        _ => "overdue",
    };
}

/// <summary>
/// The statute's dates (domain: "Inspections"), all in Asia/Seoul. A monthly check is due every calendar month and overdue
/// once a whole month passed without one; the half-yearly SAPA check likewise per 상반기/하반기; the periodic inspection
/// (정기시설검사) is valid two years, applied for a month before the validity ends.
/// </summary>
public static class ComplianceRules
{
    public const int MonthlySoonDays = 7;
    public const int SemiannualSoonDays = 30;
    public const int PeriodicSoonDays = 30;

    /// <param name="last">The latest check's finish, if any.</param>
    /// <param name="since">Since when the asset is in the registry: a playground added this month is not yet behind.</param>
    public static DueStatus Monthly(DateTimeOffset? last, DateTimeOffset since, DateTimeOffset now)
    {
        var month = SeoulCalendar.MonthOf(now);
        var end = month.AddMonths(1).AddDays(-1);
        var period = $"{month:yyyy-MM}";
        if (last is { } l && SeoulCalendar.MonthOf(l) == month)
        {
            return new DueStatus(DueState.Done, end, period);
        }
        var previous = month.AddMonths(-1);
        var checkedLastMonth = last is { } p && SeoulCalendar.MonthOf(p) == previous;
        var existedLastMonth = SeoulCalendar.MonthOf(since) <= previous;
        if (existedLastMonth && !checkedLastMonth)
        {
            return new DueStatus(DueState.Overdue, end, period);
        }
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime);
        return new DueStatus(end.DayNumber - today.DayNumber < MonthlySoonDays ? DueState.DueSoon : DueState.Due, end, period);
    }

    public static DueStatus Semiannual(DateTimeOffset? last, DateTimeOffset since, DateTimeOffset now)
    {
        var half = SeoulCalendar.HalfYearOf(now);
        var start = new DateOnly(half.Year, half.Half == 1 ? 1 : 7, 1);
        var end = start.AddMonths(6).AddDays(-1);
        if (last is { } l && SeoulCalendar.HalfYearOf(l) == half)
        {
            return new DueStatus(DueState.Done, end, half.KoreanName);
        }
        var previous = half.Half == 1 ? new HalfYear(half.Year - 1, 2) : new HalfYear(half.Year, 1);
        var checkedLastHalf = last is { } p && SeoulCalendar.HalfYearOf(p) == previous;
        var existedLastHalf = Ordinal(SeoulCalendar.HalfYearOf(since)) <= Ordinal(previous);
        if (existedLastHalf && !checkedLastHalf)
        {
            return new DueStatus(DueState.Overdue, end, half.KoreanName);
        }
        var today = DateOnly.FromDateTime(SeoulCalendar.ToSeoul(now).DateTime);
        return new DueStatus(end.DayNumber - today.DayNumber < SemiannualSoonDays ? DueState.DueSoon : DueState.Due, end, half.KoreanName);
    }

    private static int Ordinal(HalfYear h) => h.Year * 2 + h.Half;

    /// <summary>
    /// The validity a passed periodic inspection starts (the statute's rule): with more than one month of the old validity
    /// left, from the pass date; with one month or less left (or none known), from the day after the old expiry. Two years.
    /// </summary>
    public static (DateOnly From, DateOnly Until) PeriodicValidity(DateOnly passedOn, DateOnly? previousUntil)
    {
        var from = previousUntil is { } old && passedOn >= old.AddMonths(-1) && passedOn <= old ? old.AddDays(1) : passedOn;
        return (from, from.AddYears(2).AddDays(-1));
    }

    /// <summary>The application falls due one month before the validity ends; past its end the playground is overdue.</summary>
    public static DueStatus Periodic(DateOnly? validUntil, DateOnly today)
    {
        if (validUntil is not { } until)
        {
            return new DueStatus(DueState.Overdue, null, "유효한 검사 없음");
        }
        var applyBy = until.AddMonths(-1);
        var period = $"유효기간 {until:yyyy-MM-dd}까지";
        var state = today > until ? DueState.Overdue
            : today >= applyBy ? DueState.Due
            : today >= applyBy.AddDays(-PeriodicSoonDays) ? DueState.DueSoon
            : DueState.Done;
        return new DueStatus(state, applyBy, period);
    }
}
