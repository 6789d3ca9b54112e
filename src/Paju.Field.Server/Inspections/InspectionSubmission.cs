using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Paju.Field.Json;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Inspections;

/// <summary>A photo the phone announces with its inspection: the bytes follow later, in chunks, and must hash to <see cref="Sha256"/>.</summary>
/// <param name="Purpose">Null for a photo of what was inspected; "closure_sign" for the 이용금지 notice posted at the entrance.</param>
public sealed record PhotoAnnouncement(Guid Id, byte[] Sha256, int Bytes, DateTimeOffset? TakenAt, CheckInPosition? Position, string Source, string? Purpose = null);

/// <summary>
/// <c>PUT /api/inspections/{id}</c> read before anything reaches SQL. Its identity is the SHA-256 of its RFC 8785
/// canonical JSON: the same content sent twice (a lost answer, a retry) has the same hash whatever the phone's
/// serializer did with spaces or member order.
/// </summary>
public sealed record InspectionSubmission(
    string Program, int ProgramVersion, string SubjectKind, string SubjectCode, Guid? CheckIn, JsonElement Answers, string? Grade, string? Notes,
    CheckInPosition? Position, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, IReadOnlyList<PhotoAnnouncement> Photos,
    byte[] Sha256, string Canonical)
{
    public const int MaxPhotoBytes = 10 * 1024 * 1024;
    public const int MaxPhotos = 50;
    public static readonly IReadOnlyList<string> PhotoSources = ["exif", "device", "none"];
    public static readonly IReadOnlyList<string> PhotoPurposes = ["closure_sign"];

    public static (InspectionSubmission? Submission, List<string> Problems) Parse(ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var problems = new List<string>();
        using var document = PayloadJson.ParseObject(body, out var notJson);
        if (document is null)
        {
            problems.Add($"본문이 JSON 객체가 아닙니다 ({notJson}).");
            return (null, problems);
        }
        var root = document.RootElement;
        string? Text(JsonElement parent, string name, int max, bool required)
        {
            if (!parent.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    problems.Add($"\"{name}\" 가 필요합니다.");
                }
                return null;
            }
            if (!PayloadJson.TryGetText(e, name, max, out var text, out _) || text.Length == 0)
            {
                problems.Add($"\"{name}\" 는 비어 있지 않은 {max:N0}자 이하의 글이어야 합니다.");
                return null;
            }
            return text;
        }
        DateTimeOffset? Time(JsonElement parent, string name, bool required)
        {
            if (!parent.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    problems.Add($"\"{name}\" 가 필요합니다 (ISO 8601, 시간대 포함).");
                }
                return null;
            }
            if (e.ValueKind != JsonValueKind.String || !e.TryGetDateTimeOffset(out var t) || t.Year is < 2000 or > 2200)
            {
                problems.Add($"\"{name}\" 는 시간대가 있는 ISO 8601 시각이어야 합니다 (예: 2026-12-01T10:15:00+09:00).");
                return null;
            }
            return t.ToUniversalTime(); // PostgreSQL keeps the instant; the offset the phone wrote stays in the stored content
        }
        CheckInPosition? Position(JsonElement parent, string accuracyName)
        {
            if (!parent.TryGetProperty("position", out var p) || p.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (p.ValueKind != JsonValueKind.Object || !p.TryGetProperty("lat", out var lat) || !PayloadJson.TryGetFinite(lat, out var la)
                || !p.TryGetProperty("lon", out var lon) || !PayloadJson.TryGetFinite(lon, out var lo) || la is < -90 or > 90 || lo is < -180 or > 180)
            {
                problems.Add("\"position\" 은 {\"lat\": 위도, \"lon\": 경도} 여야 합니다.");
                return null;
            }
            var accuracy = 0.0;
            if (parent.TryGetProperty(accuracyName, out var a) && a.ValueKind != JsonValueKind.Null
                && (!PayloadJson.TryGetFinite(a, out accuracy) || accuracy is < 0 or > 100_000))
            {
                problems.Add($"\"{accuracyName}\" 는 0–100,000 m 여야 합니다.");
            }
            return new CheckInPosition(la, lo, accuracy);
        }

        var program = Text(root, "program", 64, true);
        var version = root.TryGetProperty("programVersion", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var pv) && pv > 0 ? pv : 0;
        if (version == 0)
        {
            problems.Add("\"programVersion\" 은 앱이 받은 프로그램의 버전(1 이상의 정수)이어야 합니다.");
        }
        string? kind = null, code = null;
        if (!root.TryGetProperty("subject", out var subject) || subject.ValueKind != JsonValueKind.Object)
        {
            problems.Add("\"subject\" 는 점검한 시설 {\"kind\": 종류, \"code\": 코드} 여야 합니다.");
        }
        else
        {
            kind = Text(subject, "kind", 32, true);
            code = Text(subject, "code", 64, true);
        }
        Guid? checkIn = null;
        if (root.TryGetProperty("checkIn", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.String || !Guid.TryParseExact(c.GetString(), "D", out var g))
            {
                problems.Add("\"checkIn\" 은 이 점검이 기대는 체크인의 id(UUID)여야 합니다.");
            }
            else
            {
                checkIn = g;
            }
        }
        if (!root.TryGetProperty("answers", out var answers) || answers.ValueKind != JsonValueKind.Object)
        {
            problems.Add("\"answers\" 는 항목 id 를 이름으로 하는 객체여야 합니다.");
        }
        var grade = Text(root, "grade", 16, false);
        var notes = Text(root, "notes", 4000, false);
        var position = Position(root, "accuracy");
        var started = Time(root, "startedAt", true);
        var finished = Time(root, "finishedAt", true);
        if (started is { } s && finished is { } f)
        {
            if (f < s)
            {
                problems.Add("\"finishedAt\" 이 \"startedAt\" 보다 앞섭니다. 휴대폰의 시계를 확인하세요.");
            }
            if (f > now.AddMinutes(5))
            {
                problems.Add($"\"finishedAt\" ({f:yyyy-MM-dd HH:mm}) 이 서버 시각보다 뒤입니다. 휴대폰의 시계를 확인하세요.");
            }
        }
        var photos = new List<PhotoAnnouncement>();
        if (root.TryGetProperty("photos", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > MaxPhotos)
            {
                problems.Add($"\"photos\" 는 사진 알림 {MaxPhotos}개 이하의 배열이어야 합니다.");
            }
            else
            {
                foreach (var photo in list.EnumerateArray())
                {
                    if (ParsePhoto(photo, problems, Time, Position) is { } announced)
                    {
                        if (photos.Any(p => p.Id == announced.Id))
                        {
                            problems.Add($"사진 {announced.Id} 가 두 번 알려졌습니다.");
                        }
                        photos.Add(announced);
                    }
                }
            }
        }
        if (problems.Count > 0)
        {
            return (null, problems);
        }
        var canonical = CanonicalJson.Serialize(root);
        return (new InspectionSubmission(program!, version, kind!, code!, checkIn, answers.Clone(), grade, notes, position, started!.Value, finished!.Value,
            photos, SHA256.HashData(canonical), System.Text.Encoding.UTF8.GetString(canonical)), problems);
    }

    private static PhotoAnnouncement? ParsePhoto(JsonElement photo, List<string> problems, Func<JsonElement, string, bool, DateTimeOffset?> time,
        Func<JsonElement, string, CheckInPosition?> position)
    {
        if (photo.ValueKind != JsonValueKind.Object || !photo.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String
            || !Guid.TryParseExact(idElement.GetString(), "D", out var id))
        {
            problems.Add("사진마다 앱에서 만든 \"id\"(UUID)가 필요합니다.");
            return null;
        }
        byte[]? sha = null;
        if (photo.TryGetProperty("sha256", out var shaElement) && shaElement.ValueKind == JsonValueKind.String
            && shaElement.GetString() is { Length: 64 } hex && hex.All(char.IsAsciiHexDigit))
        {
            sha = Convert.FromHexString(hex);
        }
        else
        {
            problems.Add($"사진 {id}: \"sha256\" 은 사진 파일의 SHA-256 (16진수 64자)이어야 합니다.");
        }
        var bytes = photo.TryGetProperty("bytes", out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetInt64(out var n) ? n : -1;
        if (bytes > MaxPhotoBytes)
        {
            problems.Add($"사진 {id} 는 {bytes / 1048576.0:0.0} MB 입니다. 사진은 한 장에 10 MB 이하만 받습니다. 앱에서 줄여서 다시 고르세요.");
        }
        else if (bytes <= 0)
        {
            problems.Add($"사진 {id}: \"bytes\" 는 파일 크기(바이트, 1 이상)여야 합니다.");
        }
        var source = photo.TryGetProperty("source", out var src) && src.ValueKind == JsonValueKind.String ? src.GetString() : "none";
        if (!PhotoSources.Contains(source))
        {
            problems.Add($"사진 {id}: \"source\" 는 exif, device, none 중 하나입니다.");
        }
        string? purpose = null;
        if (photo.TryGetProperty("purpose", out var purposeElement) && purposeElement.ValueKind != JsonValueKind.Null)
        {
            purpose = purposeElement.ValueKind == JsonValueKind.String ? purposeElement.GetString() : "";
            if (!PhotoPurposes.Contains(purpose))
            {
                problems.Add($"사진 {id}: \"purpose\" 는 closure_sign (입구의 이용금지 안내문) 이거나 없어야 합니다.");
            }
        }
        var takenAt = time(photo, "takenAt", false);
        var at = position(photo, "accuracy");
        return sha is null || bytes is <= 0 or > MaxPhotoBytes ? null : new PhotoAnnouncement(id, sha, (int)bytes, takenAt, at, source!, purpose);
    }

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
