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

    public static (DeviceStatus? Status, string? Reason) Parse(ReadOnlySpan<byte> payload, string topicDevice)
    {
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("online", out var online) || online.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return (null, "status must be an object with \"online\": true|false");
            }
            if (root.TryGetProperty("device", out var device) && device.GetString() != topicDevice)
            {
                return (null, $"\"device\" is '{device.GetString()}' but the topic is for '{topicDevice}'");
            }
            long? boot = root.TryGetProperty("boot", out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetInt64(out var bv) ? bv : null;
            return (new DeviceStatus(topicDevice, online.GetBoolean(), boot), null);
        }
        catch (JsonException e)
        {
            return (null, $"status is not JSON: {e.Message}");
        }
    }
}
