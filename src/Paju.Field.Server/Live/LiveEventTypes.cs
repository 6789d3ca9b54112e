namespace Paju.Field.Server.Live;

/// <summary>
/// Every event type on the live feed (the SSE `event:` field and live_event.type), in one place so
/// the writers and the pages agree on the names.
/// </summary>
public static class LiveEventTypes
{
    /// <summary>Latest values that moved forward, per device, committed with their readings.</summary>
    public const string State = "state";

    /// <summary>Sent instead of events the log no longer keeps: the page reloads /api/live/state.</summary>
    public const string Reset = "reset";

    public const string AlarmRaised = "alarm.raised";

    /// <summary>An asset's grade, closure or overdue state changed (compliance).</summary>
    public const string AssetState = "asset.state";

    /// <summary>A device went online (its birth message) or offline (its Last Will): {device, site, asset, online, at}.</summary>
    public const string DeviceStatus = "device.status";
    /// <summary>An inspection was filed: {asset, kind, program, receipt} — the room's campaign counts move.</summary>
    public const string InspectionFiled = "inspection.filed";

    /// <summary>A festival's review took a step (or one was registered): {code, state}.</summary>
    public const string EventStep = "event.step";
    public const string AlarmCleared = "alarm.cleared";
    public const string AlarmAcknowledged = "alarm.acknowledged";
    public const string AlarmShelved = "alarm.shelved";
    public const string AlarmUnshelved = "alarm.unshelved";
}
