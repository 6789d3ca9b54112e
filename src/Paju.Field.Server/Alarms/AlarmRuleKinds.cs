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

/// <summary>Types of the live feed's events.</summary>
public static class LiveEventTypes
{
    public const string AlarmRaised = "alarm.raised";
    public const string AlarmCleared = "alarm.cleared";
    public const string AlarmAcknowledged = "alarm.acknowledged";
    public const string AlarmShelved = "alarm.shelved";
    public const string AlarmUnshelved = "alarm.unshelved";
}
