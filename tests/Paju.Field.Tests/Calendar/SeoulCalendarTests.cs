using Paju.Field.Calendar;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Calendar;

/// <summary>Months and half-years are Seoul's (UTC+9): the C# rules and the SQL functions must agree.</summary>
public sealed class SeoulCalendarTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Theory]
    [InlineData("2025-06-30T14:59:59Z", "2025-06-01", "2025-H1")]   // 23:59:59 on 30 June in Paju
    [InlineData("2025-06-30T15:00:00Z", "2025-07-01", "2025-H2")]   // 00:00 on 1 July in Paju, still June in UTC
    [InlineData("2024-12-31T15:30:00Z", "2025-01-01", "2025-H1")]   // New Year in Paju first
    [InlineData("2025-03-01T00:00:00+09:00", "2025-03-01", "2025-H1")]
    public async Task Month_and_half_year_follow_the_Seoul_calendar_in_code_and_in_SQL(string instant, string month, string half)
    {
        var at = DateTimeOffset.Parse(instant);

        Assert.Equal(DateOnly.Parse(month), SeoulCalendar.MonthOf(at));
        Assert.Equal(half, SeoulCalendar.HalfYearOf(at).ToString());
        Assert.Equal(DateOnly.Parse(month), await db.ScalarAsync<DateOnly>("SELECT seoul_month($1)", at.ToUniversalTime()));
        Assert.Equal(half, await db.ScalarAsync<string>("SELECT seoul_half_year($1)", at.ToUniversalTime()));
    }

    [Fact]
    public void Half_years_have_their_Korean_names()
    {
        Assert.Equal("2025년 상반기", new HalfYear(2025, 1).KoreanName);
        Assert.Equal("2025년 하반기", new HalfYear(2025, 2).KoreanName);
    }

    [Fact]
    public void A_Seoul_day_starts_at_15_00_UTC_the_day_before()
    {
        Assert.Equal(DateTimeOffset.Parse("2025-06-30T15:00:00Z"), SeoulCalendar.StartOfDay(new DateOnly(2025, 7, 1)));
    }
}
