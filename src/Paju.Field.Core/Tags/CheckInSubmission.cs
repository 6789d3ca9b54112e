using System.Globalization;
using System.Text.Json;
using Paju.Field.Telemetry;

namespace Paju.Field.Tags;

/// <summary>How the person found the tag: it decides nothing about trust (the URL's proof does), but operators read it.</summary>
public static class CheckInMethods
{
    public const string Nfc = "nfc";         // Web NFC in the app (Android Chrome)
    public const string Url = "url";         // the phone's OS opened the tag's URL (an iPhone's background read, a tap outside the app)
    public const string Qr = "qr";           // the printed QR code scanned
    public const string Nearby = "nearby";   // no tag: chosen from the list of what is near
    public const string Reader = "reader";   // a fixed reader at a gateway (MQTT)

    public static readonly IReadOnlyList<string> FromApp = [Nfc, Url, Qr, Nearby];
}

/// <summary>
/// <c>POST /api/checkins</c> from the app, parsed before anything reaches SQL. <see cref="Id"/> is made on
/// the phone (a UUID) and makes a resubmission harmless. The tag is the URL as opened or read, the chip's
/// UID, or — with method <c>nearby</c> — the asset chosen from a list.
/// </summary>
public sealed record CheckInSubmission(
    Guid Id,
    string Method,
    string? Url,
    string? Uid,
    string? AssetCode,
    string? AssetKind,
    CheckInPosition? Position,
    DateTimeOffset? ClientTime)
{
    /// <returns>The submission, or null with a reason in Korean that the inspector (or the app's developer) can act on.</returns>
    public static (CheckInSubmission? Submission, string? Problem) Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            return ParseChecked(body);
        }
        catch (InvalidOperationException)
        {
            return (null, "문자열에 짝이 없는 UTF-16 대리 문자(\\ud800–\\udfff)가 있습니다.");
        }
    }

    private static (CheckInSubmission?, string?) ParseChecked(ReadOnlySpan<byte> body)
    {
        using var document = PayloadJson.ParseObject(body, out var notJson);
        if (document is null)
        {
            return (null, $"본문이 JSON 객체가 아닙니다 ({notJson}).");
        }
        var root = document.RootElement;
        if (!root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String
            || !Guid.TryParseExact(idElement.GetString(), "D", out var id) || id == Guid.Empty)
        {
            return (null, "\"id\"는 앱에서 만든 UUID여야 합니다 (예: 3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f). 같은 id로 다시 보내면 처음 답을 돌려줍니다.");
        }
        if (!root.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String
            || !CheckInMethods.FromApp.Contains(methodElement.GetString()))
        {
            return (null, $"\"method\"는 {string.Join(", ", CheckInMethods.FromApp)} 중 하나여야 합니다.");
        }
        var method = methodElement.GetString()!;
        string? url = null, uid = null, assetCode = null, assetKind = null;
        if (!OptionalText(root, "url", CheckIn.MaxUrlLength, ref url, out var problem)
            || !OptionalText(root, "uid", 64, ref uid, out problem)
            || !OptionalText(root, "asset", 64, ref assetCode, out problem)
            || !OptionalText(root, "kind", 32, ref assetKind, out problem))
        {
            return (null, problem);
        }
        if (uid is not null && CheckIn.NormalizeUid(uid) is not { } normalized)
        {
            return (null, "\"uid\"는 태그 칩의 UID(16진수 4·7·10바이트, 예: 04A2241A6D5E80)여야 합니다.");
        }
        uid = uid is null ? null : CheckIn.NormalizeUid(uid);
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https")
            || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
        {
            return (null, "\"url\"은 태그에서 읽거나 연 주소 그대로(http·https, 공백 없이)여야 합니다.");
        }
        if (method == CheckInMethods.Nearby)
        {
            if (assetCode is null)
            {
                return (null, "태그 없이(nearby) 체크인할 때는 목록에서 고른 시설의 코드 \"asset\"이 필요합니다.");
            }
        }
        else if (url is null && uid is null)
        {
            return (null, "태그를 알 수 없습니다: 태그의 주소 \"url\"이나 칩 UID \"uid\"를 보내세요 (태그 없이는 method \"nearby\"와 \"asset\").");
        }
        CheckInPosition? position = null;
        if (root.TryGetProperty("position", out var positionElement) && positionElement.ValueKind != JsonValueKind.Null)
        {
            if (positionElement.ValueKind != JsonValueKind.Object
                || !positionElement.TryGetProperty("lat", out var lat) || !PayloadJson.TryGetFinite(lat, out var latitude)
                || !positionElement.TryGetProperty("lon", out var lon) || !PayloadJson.TryGetFinite(lon, out var longitude))
            {
                return (null, "\"position\"은 {\"lat\": 위도, \"lon\": 경도} 여야 합니다.");
            }
            if (!root.TryGetProperty("accuracy", out var acc) || !PayloadJson.TryGetFinite(acc, out var accuracy))
            {
                return (null, "위치를 보낼 때는 그 정확도 \"accuracy\"(미터, 기기의 95% 반경)도 보내야 합니다.");
            }
            if (latitude is < -90 or > 90 || longitude is < -180 or > 180 || accuracy is < 0 or > 100_000)
            {
                return (null, $"위치({latitude.ToString(CultureInfo.InvariantCulture)}, {longitude.ToString(CultureInfo.InvariantCulture)}, ±{accuracy.ToString(CultureInfo.InvariantCulture)} m)가 지구 위의 점이 아니거나 정확도가 0–100,000 m 밖입니다.");
            }
            position = new CheckInPosition(latitude, longitude, accuracy);
        }
        DateTimeOffset? clientTime = null;
        if (root.TryGetProperty("clientTime", out var timeElement) && timeElement.ValueKind != JsonValueKind.Null)
        {
            if (timeElement.ValueKind != JsonValueKind.String || !timeElement.TryGetDateTimeOffset(out var t) || t.Year is < 2000 or > 2200)
            {
                return (null, "\"clientTime\"은 ISO 8601 시각(시간대 포함, 예: 2026-12-01T10:15:00+09:00)이어야 합니다.");
            }
            clientTime = t.ToUniversalTime();
        }
        return (new CheckInSubmission(id, method, url, uid, assetCode, assetKind, position, clientTime), null);
    }

    private static bool OptionalText(JsonElement root, string name, int maxLength, ref string? value, out string? problem)
    {
        problem = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (!PayloadJson.TryGetText(element, name, maxLength, out var text, out var english) || text.Length == 0)
        {
            problem = $"\"{name}\"은 비어 있지 않은 문자열(최대 {maxLength}자, NUL 문자 없이)이어야 합니다 ({english ?? "빈 문자열"}).";
            return false;
        }
        value = text;
        return true;
    }
}
