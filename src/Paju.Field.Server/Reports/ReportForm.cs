using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Paju.Field.Server.Reports;

/// <summary>A photo as received: its bytes and what its first bytes say it is.</summary>
public sealed record ReportPhoto(string FileName, byte[] Bytes, string MediaType);

/// <summary>A citizen's hazard report as parsed and checked: nothing of it reaches SQL before this says it is whole.</summary>
public sealed partial record ReportForm(
    string Description, bool Injured, IReadOnlyList<string> Injuries, double? Lat, double? Lon, double? Accuracy,
    string? Name, string? Phone, bool Consented, IReadOnlyList<ReportPhoto> Photos)
{
    public const int MaxPhotos = 5;
    public const int MaxPhotoBytes = 10 * 1024 * 1024;
    public const int MaxTotalBytes = 30 * 1024 * 1024;
    public const int ContactRetentionDays = 90;

    /// <summary>The serious-accident criteria of the statute (시행령 §14), asked as a parent would answer them.</summary>
    public static readonly IReadOnlyList<(string Code, string Label)> Criteria =
    [
        ("death", "사람이 숨졌습니다"),
        ("three_or_more", "한 번의 사고로 3명 이상 다쳤습니다"),
        ("hospital_48h", "48시간 이상 입원해야 합니다"),
        ("fracture", "뼈가 부러졌습니다 (골절)"),
        ("bleeding", "피를 많이 흘렸습니다 (수혈이나 입원이 필요한 출혈)"),
        ("nerve_muscle_tendon", "신경·근육·힘줄을 다쳤습니다"),
        ("burn", "2도 이상 화상을 입었습니다"),
        ("skin_5pct", "몸 표면의 5%가 넘게 다쳤습니다"),
        ("internal_organ", "내장을 다쳤습니다"),
    ];

    /// <summary>What the person agrees to when they leave a name or phone number: what, why, how long.</summary>
    public const string ConsentText =
        "개인정보 수집·이용 동의 (선택): 수집 항목 — 이름, 전화번호. 목적 — 신고 내용 확인과 처리 결과 안내. " +
        "보유 기간 — 접수일로부터 90일이 지나면 지웁니다. 동의하지 않아도 연락처 없이 신고할 수 있습니다.";

    public bool Urgent => Injured || Injuries.Count > 0;

    /// <summary>Parses the posted form; either the report or the reasons (in Korean, one per problem) it cannot be taken.</summary>
    public static async Task<(ReportForm? Form, List<string> Problems, bool Honeypot)> ParseAsync(IFormCollection form, CancellationToken ct)
    {
        var problems = new List<string>();
        // A field people never see (hidden from screens and screen readers): only a script that fills every box fills it.
        if (form["website"].ToString().Length > 0)
        {
            return (null, ["자동으로 채워진 신고로 보여 접수하지 않았습니다. 사람이 직접 쓴 신고라면 다시 열어 작성해 주세요."], true);
        }
        var description = Clean(form["description"]);
        if (description.Length < 5)
        {
            problems.Add("무엇이 위험한지 5자 이상 적어 주세요.");
        }
        else if (description.Length > 2000)
        {
            problems.Add($"설명은 2,000자까지 쓸 수 있습니다 (지금 {description.Length:N0}자).");
        }
        var injuredText = form["injured"].ToString();
        if (injuredText is not ("yes" or "no"))
        {
            problems.Add("사람이 다쳤는지 '예' 또는 '아니요'를 골라 주세요.");
        }
        var injuries = form["injury"].Select(v => v ?? "").Distinct().ToList();
        if (injuries.FirstOrDefault(i => Criteria.All(c => c.Code != i)) is { } unknown)
        {
            problems.Add($"알 수 없는 부상 항목입니다: {unknown}");
        }
        var (lat, lon, accuracy) = (Number(form["lat"]), Number(form["lon"]), Number(form["accuracy"]));
        if (!PositionIsValid(form))
        {
            problems.Add("보낸 위치가 올바르지 않습니다. 위치 없이 다시 보내 주세요.");
            (lat, lon, accuracy) = (null, null, null);
        }
        var name = Clean(form["name"]);
        var phone = Clean(form["phone"]);
        if (name.Length > 50)
        {
            problems.Add("이름은 50자까지 쓸 수 있습니다.");
        }
        if (phone.Length > 0 && !PhonePattern().IsMatch(phone))
        {
            problems.Add("전화번호는 숫자와 - 로 적어 주세요 (예: 010-1234-5678).");
        }
        var consented = form["consent"].ToString() == "yes";
        if ((name.Length > 0 || phone.Length > 0) && !consented)
        {
            problems.Add("연락처를 남기려면 개인정보 수집·이용에 동의해 주세요. 동의하지 않으면 이름과 전화번호를 비우고 보내 주세요.");
        }
        var photos = new List<ReportPhoto>();
        var files = form.Files.Where(f => f.Name == "photos" && f.Length > 0).ToList();
        if (files.Count > MaxPhotos)
        {
            problems.Add($"사진은 {MaxPhotos}장까지 보낼 수 있습니다 (지금 {files.Count}장).");
        }
        else if (files.Sum(f => f.Length) > MaxTotalBytes)
        {
            problems.Add($"사진은 모두 합해 {MaxTotalBytes / 1024 / 1024} MB까지 보낼 수 있습니다.");
        }
        else
        {
            foreach (var file in files)
            {
                if (file.Length > MaxPhotoBytes)
                {
                    problems.Add($"사진 '{file.FileName}'이(가) {file.Length / 1024.0 / 1024:F1} MB입니다. 한 장에 {MaxPhotoBytes / 1024 / 1024} MB까지 보낼 수 있습니다.");
                    continue;
                }
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer, ct);
                var bytes = buffer.ToArray();
                if (MediaTypeOf(bytes) is { } type)
                {
                    photos.Add(new ReportPhoto(file.FileName, bytes, type));
                }
                else
                {
                    problems.Add($"'{file.FileName}'은(는) 사진 파일(JPEG, PNG, WebP, HEIC)이 아닙니다.");
                }
            }
        }
        return problems.Count > 0
            ? (null, problems, false)
            : (new ReportForm(description, injuredText == "yes", injuries, lat, lon, accuracy, name.Length > 0 ? name : null,
                phone.Length > 0 ? phone : null, consented, photos), problems, false);
    }

    /// <summary>No position, or one in and around Korea with a non-negative accuracy: what the form may keep and send back.</summary>
    public static bool PositionIsValid(IFormCollection form)
    {
        var (lat, lon, accuracy) = (Number(form["lat"]), Number(form["lon"]), Number(form["accuracy"]));
        return (lat is null) == (lon is null) && lat is null or (>= 33 and <= 39) && lon is null or (>= 124 and <= 132) && accuracy is null or >= 0;
    }

    /// <summary>What the file's first bytes say it is; the name and the browser's claim are not trusted.</summary>
    public static string? MediaTypeOf(byte[] b) =>
        b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF ? "image/jpeg"
        : b.Length >= 8 && b.AsSpan(0, 8).SequenceEqual("\x89PNG\r\n\x1a\n"u8) ? "image/png"
        : b.Length >= 12 && b.AsSpan(0, 4).SequenceEqual("RIFF"u8) && b.AsSpan(8, 4).SequenceEqual("WEBP"u8) ? "image/webp"
        : b.Length >= 12 && b.AsSpan(4, 4).SequenceEqual("ftyp"u8) && (b.AsSpan(8, 4).SequenceEqual("heic"u8) || b.AsSpan(8, 4).SequenceEqual("heix"u8) || b.AsSpan(8, 4).SequenceEqual("mif1"u8)) ? "image/heic"
        : null;

    // Control characters and a NUL (which PostgreSQL text refuses) are dropped; line breaks stay.
    // A lone surrogate becomes U+FFFD, so normalising cannot throw.
    private static string Clean(string? text) =>
        string.Concat((text ?? "").EnumerateRunes().Where(r => !Rune.IsControl(r) || r.Value is '\n' or '\r' or '\t').Select(r => r.ToString()))
            .Normalize().Trim();

    private static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    [GeneratedRegex("^[0-9+][0-9 -]{6,20}$")]
    private static partial Regex PhonePattern();
}
