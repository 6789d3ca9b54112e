using System.Globalization;
using System.Text.Json;

namespace Paju.Field.Telemetry;

/// <summary>
/// What every v1 message that is stored once starts with — a reading, a check-in: the contract version,
/// the device (matching its topic), and (boot, seq) with the device's time. (Device, Boot, Seq) is the
/// de-duplication key.
/// </summary>
public readonly record struct MessageKey(long Boot, long Seq, DateTimeOffset Timestamp)
{
    /// <summary>The key of a payload, or the reason (code and words) it has none.</summary>
    public static (MessageKey? Key, RejectReason? Code, string? Reason) Read(JsonElement root, string topicDevice)
    {
        if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != TelemetryReading.Version)
        {
            return (null, RejectReason.WrongType, $"\"v\" must be the number {TelemetryReading.Version} (contract version)");
        }
        string? problem = null;
        var deviceId = "";
        if (!root.TryGetProperty("device", out var device) || !PayloadJson.TryGetText(device, "device", 64, out deviceId, out problem))
        {
            return (null, RejectReason.WrongType, problem ?? "\"device\" must be a string");
        }
        if (deviceId != topicDevice)
        {
            return (null, RejectReason.DeviceMismatch, $"\"device\" is '{deviceId}' but the topic is for '{topicDevice}'");
        }
        if (!PayloadJson.TryGetWhole(root, "boot", out var boot))
        {
            return (null, RejectReason.WrongType, "\"boot\" must be a whole number ≥ 0 (the boot epoch)");
        }
        if (!PayloadJson.TryGetWhole(root, "seq", out var seq))
        {
            return (null, RejectReason.WrongType, "\"seq\" must be a whole number ≥ 0 (the sequence number within this boot)");
        }
        // A time without a zone is taken as UTC, never as the server's local time.
        if (!root.TryGetProperty("ts", out var ts) || !PayloadJson.TryGetText(ts, "ts", 64, out var text, out _)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
        {
            return (null, RejectReason.WrongType, "\"ts\" must be an RFC 3339 time with a zone, e.g. 2026-11-24T09:00:00.000Z");
        }
        return (new MessageKey(boot, seq, timestamp.ToUniversalTime()), null, null);
    }
}
