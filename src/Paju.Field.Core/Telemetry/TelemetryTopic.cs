using System.Buffers;

namespace Paju.Field.Telemetry;

/// <summary>
/// Topics of the MQTT contract v1 (firmware-bridge/PROTOCOL.md):
/// <c>paju/v1/{site}/{device}/{telemetry|state|checkin|status}</c>. A device may publish only
/// under its own site and id.
/// </summary>
public sealed record TelemetryTopic(string Site, string Device, string Channel)
{
    public const string Root = "paju/v1";
    public const string Telemetry = "telemetry";
    public const string State = "state";
    public const string Checkin = "checkin";
    public const string Status = "status";

    /// <summary>Everything under the root, for a subscriber.</summary>
    public const string AllFilter = Root + "/+/+/+";

    /// <summary>Every device and channel of one site.</summary>
    public static string SiteFilter(string site) => $"{Root}/{site}/+/+";

    public static readonly IReadOnlyList<string> Channels = [Telemetry, State, Checkin, Status];

    public override string ToString() => $"{Root}/{Site}/{Device}/{Channel}";

    public static string For(string site, string device, string channel) => $"{Root}/{site}/{device}/{channel}";

    /// <summary>Parses a topic of the contract, or returns null with the reason it is not one.</summary>
    public static TelemetryTopic? TryParse(string topic, out string? reason)
    {
        reason = null;
        var parts = topic.Split('/');
        if (parts.Length != 5 || parts[0] != "paju" || parts[1] != "v1")
        {
            reason = $"topic '{topic}' is not paju/v1/{{site}}/{{device}}/{{channel}}";
            return null;
        }
        if (!Channels.Contains(parts[4]))
        {
            reason = $"topic '{topic}' has channel '{parts[4]}'; channels are {string.Join(", ", Channels)}";
            return null;
        }
        if (!IsId(parts[2]) || !IsId(parts[3]))
        {
            reason = $"topic '{topic}' has a site or device id outside [a-z0-9._-]";
            return null;
        }
        return new TelemetryTopic(parts[2], parts[3], parts[4]);
    }

    private static readonly SearchValues<char> IdCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789._-");

    /// <summary>Site and device ids: lower-case letters, digits, '.', '_' and '-', 1–64 characters.</summary>
    public static bool IsId(string id) => id.Length is > 0 and <= 64 && !id.AsSpan().ContainsAnyExcept(IdCharacters);
}
