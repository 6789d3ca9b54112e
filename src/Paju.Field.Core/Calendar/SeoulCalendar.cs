namespace Paju.Field.Calendar;

/// <summary>
/// Months, half-years and due dates are the city's, not UTC's: a check filed at 00:30 on
/// 1 July in Paju belongs to July and to the second half-year (하반기), even though it is
/// still 30 June in UTC. Timestamps are stored as timestamptz; only these derived periods
/// are computed in Asia/Seoul. The database has the same rules as SQL functions
/// (<c>seoul_month</c>, <c>seoul_half_year</c>) so reports computed in either place agree.
/// </summary>
public static class SeoulCalendar
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");

    public static DateTimeOffset ToSeoul(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    /// <summary>The first day of the Seoul calendar month containing the instant.</summary>
    public static DateOnly MonthOf(DateTimeOffset instant)
    {
        var local = ToSeoul(instant);
        return new DateOnly(local.Year, local.Month, 1);
    }

    public static HalfYear HalfYearOf(DateTimeOffset instant)
    {
        var local = ToSeoul(instant);
        return new HalfYear(local.Year, local.Month <= 6 ? 1 : 2);
    }

    /// <summary>Midnight in Seoul at the start of the given date, as an instant.</summary>
    public static DateTimeOffset StartOfDay(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local));
    }
}

/// <summary>상반기 (H1: Jan–Jun) or 하반기 (H2: Jul–Dec) of a year in Seoul.</summary>
public readonly record struct HalfYear(int Year, int Half)
{
    public string KoreanName => $"{Year}년 {(Half == 1 ? "상반기" : "하반기")}";

    public override string ToString() => $"{Year}-H{Half}";
}
