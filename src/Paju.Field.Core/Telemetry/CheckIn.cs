using System.Globalization;
using System.Text.Json;

namespace Paju.Field.Telemetry;

/// <summary>Where a phone or a reader was when it read the tag, as its GPS reported it.</summary>
public sealed record CheckInPosition(double Latitude, double Longitude, double AccuracyMetres);

/// <summary>
/// A tag read (contract v1, the <c>checkin</c> channel; the same type serves MQTT and HTTP). (Device, Boot,
/// Seq) identifies it as it does a reading: a redelivered or replayed check-in is stored once. The tag is
/// its chip's <see cref="Uid"/> (hex, as a reader reports it), its <see cref="Url"/> exactly as read
/// (with the query that carries a SUN or signature), or both. Whether the tag and its proof are genuine is
/// decided later, against the tag registry — this type only guarantees the fields are well-formed.
/// </summary>
public sealed record CheckIn(
    string Device,
    long Boot,
    long Seq,
    DateTimeOffset Timestamp,
    string? Uid,
    string? Url,
    string? Reader,
    string? Operator,
    CheckInPosition? Position,
    bool Historical)
{
    public const int MaxUrlLength = 2048;
    public const int MaxOperatorLength = 64;

    public string ToJson()
    {
        var fields = new Dictionary<string, object?>
        {
            ["v"] = TelemetryReading.Version,
            ["device"] = Device,
            ["boot"] = Boot,
            ["seq"] = Seq,
            ["ts"] = Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        };
        if (Uid is not null) fields["uid"] = Uid;
        if (Url is not null) fields["url"] = Url;
        if (Reader is not null) fields["reader"] = Reader;
        if (Operator is not null) fields["operator"] = Operator;
        if (Position is not null) fields["position"] = new { lat = Position.Latitude, lon = Position.Longitude, accuracy = Position.AccuracyMetres };
        if (Historical) fields["historical"] = true;
        return JsonSerializer.Serialize(fields);
    }

    public static (CheckIn? CheckIn, RejectReason? Code, string? Reason) Parse(ReadOnlySpan<byte> payload, string topicDevice)
    {
        try
        {
            return ParseChecked(payload, topicDevice);
        }
        catch (InvalidOperationException)
        {
            return Fail(RejectReason.MalformedJson, "check-in contains a name or text that is not valid UTF-16 (an unpaired surrogate)");
        }
    }

    private static (CheckIn?, RejectReason?, string?) ParseChecked(ReadOnlySpan<byte> payload, string topicDevice)
    {
        using var document = PayloadJson.ParseObject(payload, out var notJson);
        if (document is null)
        {
            return Fail(RejectReason.MalformedJson, notJson!);
        }
        var root = document.RootElement;
        var (key, keyCode, keyProblem) = MessageKey.Read(root, topicDevice);
        if (key is not { } k)
        {
            return Fail(keyCode!.Value, keyProblem!);
        }
        string? problem;

        string? uid = null;
        if (root.TryGetProperty("uid", out var uidElement))
        {
            if (!PayloadJson.TryGetText(uidElement, "uid", 64, out var text, out problem))
            {
                return Fail(RejectReason.WrongType, problem!);
            }
            uid = NormalizeUid(text);
            if (uid is null)
            {
                return Fail(RejectReason.WrongType, $"\"uid\" '{text}' is not a tag UID: 4, 7 or 10 bytes in hex (e.g. 04A2241A6D5E80 or 04:A2:24:1A:6D:5E:80)");
            }
        }
        string? url = null;
        if (root.TryGetProperty("url", out var urlElement))
        {
            if (!PayloadJson.TryGetText(urlElement, "url", MaxUrlLength, out var text, out problem))
            {
                return Fail(RejectReason.WrongType, problem!);
            }
            if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http") || text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                return Fail(RejectReason.WrongType, "\"url\" must be the tag's absolute http(s) URL exactly as read, without spaces");
            }
            url = text;
        }
        if (uid is null && url is null)
        {
            return Fail(RejectReason.WrongType, "a check-in needs the tag: \"uid\" (its chip's UID in hex), \"url\" (the URL read from it), or both");
        }
        string? reader = null;
        if (root.TryGetProperty("reader", out var readerElement))
        {
            if (!PayloadJson.TryGetText(readerElement, "reader", 64, out var text, out problem) || !TelemetryTopic.IsId(text))
            {
                return Fail(RejectReason.WrongType, problem ?? "\"reader\" must be an id of a-z, 0-9, '.', '_' or '-' (at most 64)");
            }
            reader = text;
        }
        string? person = null;
        if (root.TryGetProperty("operator", out var operatorElement))
        {
            if (!PayloadJson.TryGetText(operatorElement, "operator", MaxOperatorLength, out var text, out problem) || text.Length == 0 || text.Any(char.IsControl))
            {
                return Fail(RejectReason.WrongType, problem ?? "\"operator\" must be the person's account name, without control characters");
            }
            person = text;
        }
        CheckInPosition? position = null;
        if (root.TryGetProperty("position", out var positionElement))
        {
            if (positionElement.ValueKind != JsonValueKind.Object
                || !positionElement.TryGetProperty("lat", out var lat) || !PayloadJson.TryGetFinite(lat, out var latitude)
                || !positionElement.TryGetProperty("lon", out var lon) || !PayloadJson.TryGetFinite(lon, out var longitude)
                || !positionElement.TryGetProperty("accuracy", out var acc) || !PayloadJson.TryGetFinite(acc, out var accuracy))
            {
                return Fail(RejectReason.WrongType, "\"position\" must be {\"lat\": degrees, \"lon\": degrees, \"accuracy\": metres}");
            }
            if (latitude is < -90 or > 90 || longitude is < -180 or > 180 || accuracy is < 0 or > 100_000)
            {
                return Fail(RejectReason.OutOfRange, $"\"position\" ({latitude.ToString(CultureInfo.InvariantCulture)}, {longitude.ToString(CultureInfo.InvariantCulture)}, ±{accuracy.ToString(CultureInfo.InvariantCulture)} m) is not a place on Earth with an accuracy of 0–100,000 m");
            }
            position = new CheckInPosition(latitude, longitude, accuracy);
        }
        var historical = false;
        if (root.TryGetProperty("historical", out var h))
        {
            if (h.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Fail(RejectReason.WrongType, "\"historical\" must be true or false");
            }
            historical = h.GetBoolean();
        }
        return (new CheckIn(topicDevice, k.Boot, k.Seq, k.Timestamp, uid, url, reader, person, position, historical), null, null);
    }

    /// <summary>A UID in upper-case hex without separators, or null: NFC UIDs are 4, 7 or 10 bytes; readers print them with or without ':'/'-'/' '.</summary>
    public static string? NormalizeUid(string text)
    {
        var hex = new string([.. text.Where(c => c is not (':' or '-' or ' '))]).ToUpperInvariant();
        return hex.Length is 8 or 14 or 20 && hex.All(char.IsAsciiHexDigit) ? hex : null;
    }

    private static (CheckIn?, RejectReason?, string?) Fail(RejectReason code, string reason) => (null, code, reason);
}
