namespace Paju.Field.Server.Alarms;

public static class AlarmRuleKinds
{
    public const string High = "high";
    public const string HighHigh = "high_high";
    public const string Low = "low";
    public const string RateOfRise = "rate_of_rise";
    public const string NoData = "no_data";
    public const string Offline = "offline";
}
