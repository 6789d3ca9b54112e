using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paju.Field.Server.Inspections;

public sealed record GradeValue(string Value, string Meaning);

public sealed record OverallGrade(bool Required, IReadOnlyList<GradeValue> Values);

/// <summary>One thing an inspector judges or records. Types: grade, yesno, number (with unit), text, date, photo.</summary>
public sealed record ProgramItem(
    string Id, string Label, string Type, bool Required,
    string? Unit = null, double? Min = null, double? Max = null,
    IReadOnlyList<string>? Values = null, IReadOnlyList<string>? Prompts = null, IReadOnlyList<string>? AppliesTo = null, string? Help = null)
{
    /// <summary>Grade items without their own values are judged on the program's overall scale (or 양호 … 이용금지).</summary>
    public IReadOnlyList<string> GradeValues(ProgramDefinition program) =>
        Values ?? program.Overall?.Values.Select(v => v.Value).ToList() ?? ProgramDefinition.PlaygroundGrades;

    public bool AppliesToFacility(string? facilityType) => AppliesTo is null || (facilityType is not null && AppliesTo.Contains(facilityType));
}

/// <summary>
/// A program's definition (a row of program_version): what is checked, how often, on which scale. Parsed and checked
/// before it is stored, so an administrator's edit that the app could not fill is refused with the reason.
/// </summary>
public sealed record ProgramDefinition(string Name, string Cadence, IReadOnlyList<ProgramItem> Items, OverallGrade? Overall = null,
    string? Statute = null, string? Performer = null)
{
    public static readonly IReadOnlyList<string> Cadences = ["monthly", "semiannual", "biennial", "once"];
    public static readonly IReadOnlyList<string> ItemTypes = ["grade", "yesno", "number", "text", "date", "photo"];
    public static readonly IReadOnlyList<string> PlaygroundGrades = ["양호", "요주의", "요수리", "이용금지"];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <returns>The definition, or null with the reasons in Korean.</returns>
    public static (ProgramDefinition? Definition, string? Problem) Parse(string json)
    {
        ProgramDefinition? definition;
        try
        {
            definition = JsonSerializer.Deserialize<ProgramDefinition>(json, Json);
        }
        catch (JsonException e)
        {
            return (null, $"프로그램 정의를 읽을 수 없습니다: {e.Message}");
        }
        if (definition is null)
        {
            return (null, "프로그램 정의가 비어 있습니다.");
        }
        var problems = definition.Problems().ToList();
        return problems.Count == 0 ? (definition, null) : (null, string.Join(" ", problems));
    }

    private IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return "이름(name)이 필요합니다.";
        }
        if (!Cadences.Contains(Cadence))
        {
            yield return $"주기(cadence)는 {string.Join(", ", Cadences)} 중 하나입니다.";
        }
        if (Items is null || Items.Count == 0)
        {
            yield return "항목(items)이 하나 이상 필요합니다.";
            yield break;
        }
        var ids = new HashSet<string>();
        foreach (var item in Items)
        {
            if (string.IsNullOrWhiteSpace(item.Id) || !item.Id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') || !ids.Add(item.Id))
            {
                yield return $"항목 id '{item.Id}' 는 영문 소문자·숫자·_ 로 된, 겹치지 않는 이름이어야 합니다.";
            }
            if (string.IsNullOrWhiteSpace(item.Label))
            {
                yield return $"항목 '{item.Id}' 에 이름(label)이 필요합니다.";
            }
            if (!ItemTypes.Contains(item.Type))
            {
                yield return $"항목 '{item.Id}' 의 종류 '{item.Type}' 는 없습니다 ({string.Join(", ", ItemTypes)}).";
            }
            if (item.Type == "number" && string.IsNullOrWhiteSpace(item.Unit))
            {
                yield return $"숫자 항목 '{item.Id}' 에는 단위(unit)가 필요합니다.";
            }
            if (item.Values is { Count: 0 })
            {
                yield return $"항목 '{item.Id}' 의 값 목록(values)이 비어 있습니다.";
            }
        }
        if (Overall is { Values.Count: 0 })
        {
            yield return "종합 판정(overall)의 값 목록이 비어 있습니다.";
        }
    }

    /// <summary>
    /// Checks an inspection's answers against this definition. <paramref name="photoIds"/> are the photos the
    /// submission announces (a photo item must name one of them). Problems are in Korean, naming the item.
    /// </summary>
    public List<string> CheckAnswers(JsonElement answers, string? grade, string? facilityType, IReadOnlySet<Guid> photoIds)
    {
        var problems = new List<string>();
        if (answers.ValueKind != JsonValueKind.Object)
        {
            problems.Add("\"answers\" 는 항목 id 를 이름으로 하는 객체여야 합니다.");
            return problems;
        }
        var known = Items.Select(i => i.Id).ToHashSet();
        foreach (var extra in answers.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            problems.Add($"'{extra.Name}' 은(는) 이 프로그램의 항목이 아닙니다.");
        }
        foreach (var item in Items)
        {
            var applies = item.AppliesToFacility(facilityType);
            if (!answers.TryGetProperty(item.Id, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (item.Required && applies)
                {
                    problems.Add($"'{item.Label}' 에 답하지 않았습니다.");
                }
                continue;
            }
            if (!applies)
            {
                problems.Add($"'{item.Label}' 은(는) 이 시설 유형에 해당하지 않는 항목입니다.");
                continue;
            }
            var problem = item.Type switch
            {
                "grade" => value.ValueKind == JsonValueKind.String && item.GradeValues(this).Contains(value.GetString())
                    ? null : $"'{item.Label}' 은(는) {string.Join("·", item.GradeValues(this))} 중 하나여야 합니다.",
                "yesno" => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : $"'{item.Label}' 은(는) 예/아니오(true/false)여야 합니다.",
                "number" => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var n) && double.IsFinite(n)
                            && (item.Min is null || n >= item.Min) && (item.Max is null || n <= item.Max)
                    ? null : $"'{item.Label}' 은(는) {Range(item)}숫자({item.Unit})여야 합니다.",
                "text" => value.ValueKind == JsonValueKind.String && value.GetString()!.Length <= 4000
                    ? null : $"'{item.Label}' 은(는) 4,000자 이하의 글이어야 합니다.",
                "date" => value.ValueKind == JsonValueKind.String && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                    ? null : $"'{item.Label}' 은(는) 날짜(예: 2026-12-01)여야 합니다.",
                "photo" => value.ValueKind == JsonValueKind.String && Guid.TryParse(value.GetString(), out var photo) && photoIds.Contains(photo)
                    ? null : $"'{item.Label}' 은(는) 함께 알린 사진(photos)의 id 여야 합니다.",
                _ => null,
            };
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }
        if (Overall is { } overall)
        {
            if (grade is null)
            {
                if (overall.Required)
                {
                    problems.Add($"종합 판정(grade)이 필요합니다: {string.Join("·", overall.Values.Select(v => v.Value))}.");
                }
            }
            else if (!overall.Values.Any(v => v.Value == grade))
            {
                problems.Add($"종합 판정 '{grade}' 는 {string.Join("·", overall.Values.Select(v => v.Value))} 중 하나여야 합니다.");
            }
        }
        else if (grade is not null)
        {
            problems.Add("이 프로그램에는 종합 판정(grade)이 없습니다.");
        }
        return problems;
    }

    private static string Range(ProgramItem item) => (item.Min, item.Max) switch
    {
        (null, null) => "",
        ({ } min, null) => $"{min} 이상의 ",
        (null, { } max) => $"{max} 이하의 ",
        ({ } min, { } max) => $"{min}–{max} 사이의 ",
    };
}
