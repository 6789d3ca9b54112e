using System.Globalization;

namespace Paju.Field.Server.Import;

/// <summary>A field value that cannot be taken as it stands, with the reason a person can act on.</summary>
public sealed class FieldValueException(string message) : Exception(message);

/// <summary>
/// Turns registry text into the values the database columns hold. Each accepts what Korean
/// registries actually write (20190315, 2019-03-15, 2019.03.15; 실내/실외; "B등급", "양호") and
/// gives back text the column's cast reads without fail, so every rejection happens here, per row.
/// </summary>
public static class FieldValues
{
    private static readonly string[] DateFormats = ["yyyyMMdd", "yyyy-MM-dd", "yyyy.MM.dd", "yyyy/MM/dd", "yyyy-M-d", "yyyy.M.d"];

    public static string Date(string text)
    {
        var trimmed = text.Trim().TrimEnd('.');
        if (DateTime.TryParseExact(trimmed, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) && date.Year is >= 1900 and <= 2100)
        {
            return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        throw new FieldValueException($"날짜가 아닙니다 ('{text}'): YYYYMMDD 또는 YYYY-MM-DD 로 적으십시오");
    }

    public static string Year(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length >= 4 && int.TryParse(trimmed.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year is >= 1800 and <= 2100
            && (trimmed.Length == 4 || !char.IsDigit(trimmed[4]) || trimmed.Length == 8))
        {
            return year.ToString(CultureInfo.InvariantCulture);
        }
        throw new FieldValueException($"연도가 아닙니다 ('{text}'): 2003 또는 20031231 처럼 적으십시오");
    }

    /// <summary>A yes/no column whose registries spell it in words (실내/실외, 공공/민간) or Y/N.</summary>
    public static Func<string, string> Boolean(string yes, string no) => text => text.Trim() switch
    {
        var t when t == yes || t.Equals("Y", StringComparison.OrdinalIgnoreCase) || t.Equals("true", StringComparison.OrdinalIgnoreCase) => "true",
        var t when t == no || t.Equals("N", StringComparison.OrdinalIgnoreCase) || t.Equals("false", StringComparison.OrdinalIgnoreCase) => "false",
        _ => throw new FieldValueException($"'{text}'는 '{yes}' 또는 '{no}'가 아닙니다"),
    };

    public static Func<string, string> BooleanExport(string yes, string no) => value => value == "true" ? yes : no;

    /// <summary>One of a fixed set of codes, written either as the code or as any of its Korean names.</summary>
    public static Func<string, string> OneOf(IReadOnlyDictionary<string, string> namesToCode, string what) => text =>
    {
        var trimmed = text.Trim();
        if (namesToCode.Values.Contains(trimmed))
        {
            return trimmed;
        }
        return namesToCode.TryGetValue(trimmed, out var code) ? code
            : throw new FieldValueException($"{what} '{text}'를 알 수 없습니다: {string.Join(", ", namesToCode.Keys)} 중 하나여야 합니다");
    };

    /// <summary>FMS 안전등급: "B", "B등급" or the word for it (우수 A … 불량 E).</summary>
    public static string SafetyGrade(string text)
    {
        var t = text.Trim().Replace("등급", "", StringComparison.Ordinal).Trim();
        return t switch
        {
            "A" or "a" or "우수" => "A",
            "B" or "b" or "양호" => "B",
            "C" or "c" or "보통" => "C",
            "D" or "d" or "미흡" => "D",
            "E" or "e" or "불량" => "E",
            _ => throw new FieldValueException($"안전등급 '{text}'를 알 수 없습니다: A~E (우수·양호·보통·미흡·불량)"),
        };
    }

    /// <summary>시설물 종별: 1종, 2종, 3종 (or just the digit).</summary>
    public static string FacilityClass(string text)
    {
        var t = text.Trim().Replace("제", "", StringComparison.Ordinal).Replace("종", "", StringComparison.Ordinal).Trim();
        return t is "1" or "2" or "3" ? t + "종" : throw new FieldValueException($"종별 '{text}'를 알 수 없습니다: 1종, 2종, 3종");
    }

    /// <summary>A coordinate as written in a registry: decimal, invariant culture, no thousands separators.</summary>
    public static double Coordinate(string text, string field)
    {
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }
        throw new FieldValueException($"{field} 좌표가 숫자가 아닙니다 ('{text}')");
    }
}
