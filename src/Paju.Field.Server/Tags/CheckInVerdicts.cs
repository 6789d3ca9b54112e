namespace Paju.Field.Server.Tags;

/// <summary>What the tag's URL or chip proved.</summary>
public static class Proofs
{
    public const string Sun = "sun";                    // an NTAG 424 DNA tap with a genuine, fresh MAC
    public const string Signature = "signature";        // a plate's static signature (proves the URL is the city's, not a tap)
    public const string Uid = "uid";                    // the chip's UID only (a fixed reader, or Web NFC's serial number)
    public const string None = "none";                  // no tag: the asset was chosen from a list
    public const string BadSignature = "bad_signature"; // a MAC or signature that does not verify, or a tag URL without one
    public const string Replayed = "replayed";          // a SUN counter seen before: a copied URL, not a tap
    public const string UnknownTag = "unknown_tag";     // no such tag in the registry

    public static bool Refused(string proof) => proof is BadSignature or Replayed or UnknownTag;
}

/// <summary>A check-in's overall state: verified (proof and presence), flagged (accepted, for an operator to look at), refused (not proof of anything).</summary>
public static class CheckInStatuses
{
    public const string Verified = "verified";
    public const string Flagged = "flagged";
    public const string Refused = "refused";
}

/// <summary>The flags operators review, with what each means to them (GET /api/checkins/flags).</summary>
public static class CheckInFlags
{
    public const string LateCounter = "late_counter";
    public const string TooFar = "too_far";
    public const string NotClose = "not_close";
    public const string LowAccuracy = "low_accuracy";
    public const string NoPosition = "no_position";
    public const string NoTag = "no_tag";
    public const string UidOnly = "uid_only";
    public const string RetiredTag = "retired_tag";

    public sealed record Description(string Code, string Korean, string English);

    public static readonly IReadOnlyList<Description> All =
    [
        new(LateCounter, "늦게 도착한 태그 읽기: 이미 더 큰 카운터가 왔습니다 (오프라인으로 쌓였다가 보낸 체크인)", "A SUN counter lower than one already seen and not seen before: a tap queued offline that arrived late."),
        new(TooFar, "시설에서 너무 멉니다 (허용 거리 + 위치 정확도를 넘음)", "Farther from the asset than the flag distance plus the position's accuracy."),
        new(NotClose, "시설 가까이라고 확인할 수 없습니다 (통과 거리 밖, 경고 거리 안)", "Outside the pass distance but within the flag distance: presence not confirmed."),
        new(LowAccuracy, "위치 정확도가 낮습니다", "The position's accuracy radius is larger than the warning threshold."),
        new(NoPosition, "위치 없이 체크인했습니다", "No position was sent with the check-in."),
        new(NoTag, "태그 없이 목록에서 시설을 골랐습니다", "No tag was read: the asset was chosen from a list."),
        new(UidOnly, "칩 UID만 읽었습니다 (복제할 수 있어 증거로 약함)", "Only the chip's UID was read; a UID can be cloned."),
        new(RetiredTag, "폐기된 태그입니다 (교체된 표지가 아직 붙어 있을 수 있음)", "The tag was retired; an old plate may still be on site."),
    ];
}

/// <summary>What verification concluded about one check-in, stored on its row.</summary>
public sealed record CheckInVerdict(long? AssetId, string? TagId, string Proof, int? Counter, double? DistanceMetres, string Status, IReadOnlyList<string> Flags)
{
    public static CheckInVerdict Unknown() => new(null, null, Proofs.UnknownTag, null, null, CheckInStatuses.Refused, []);
}
