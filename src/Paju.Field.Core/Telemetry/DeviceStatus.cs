using System.Text.Json;

namespace Paju.Field.Telemetry;

/// <summary>
/// Birth and death of a device on the status channel (retained): <c>{"v":1,"device":…,"online":true,"boot":…}</c>
/// after connecting, and the same with <c>"online":false</c> as the connection's Last Will.
/// </summary>
public sealed record DeviceStatus(string Device, bool Online, long? Boot)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["v"] = TelemetryReading.Version,
        ["device"] = Device,
        ["online"] = Online,
        ["boot"] = Boot,
    });

    public static (DeviceStatus? Status, RejectReason? Code, string? Reason) Parse(ReadOnlySpan<byte> payload, string topicDevice)
    {
        try
        {
            return ParseChecked(payload, topicDevice);
        }
        catch (InvalidOperationException)
        {
            return (null, RejectReason.MalformedJson, "status contains a name or text that is not valid UTF-16 (an unpaired surrogate)");
        }
    }

    private static (DeviceStatus?, RejectReason?, string?) ParseChecked(ReadOnlySpan<byte> payload, string topicDevice)
    {
        using var document = PayloadJson.ParseObject(payload, out var notJson);
        if (document is null)
        {
            return (null, RejectReason.MalformedJson, $"status: {notJson}");
        }
        var root = document.RootElement;
        if (!root.TryGetProperty("online", out var online) || online.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return (null, RejectReason.WrongType, "status must be an object with \"online\": true|false");
        }
        if (root.TryGetProperty("device", out var device))
        {
            if (!PayloadJson.TryGetText(device, "device", 64, out var id, out var problem))
            {
                return (null, RejectReason.WrongType, problem);
            }
            if (id != topicDevice)
            {
                return (null, RejectReason.DeviceMismatch, $"\"device\" is '{id}' but the topic is for '{topicDevice}'");
            }
        }
        long? boot = null;
        if (root.TryGetProperty("boot", out var b) && b.ValueKind != JsonValueKind.Null)
        {
            if (!PayloadJson.TryGetWhole(root, "boot", out var value))
            {
                return (null, RejectReason.WrongType, "\"boot\" must be a whole number ≥ 0 (the boot epoch)");
            }
            boot = value;
        }
        return (new DeviceStatus(topicDevice, online.GetBoolean(), boot), null, null);
    }
}
