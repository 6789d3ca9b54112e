using System.Text.Json;
using System.Text.Unicode;
using Paju.Field.Json;

namespace Paju.Field.Telemetry;

/// <summary>
/// Reading a device's JSON so that nothing PostgreSQL would refuse gets through: JSON allows a NUL
/// character (\u0000) and unpaired surrogates (\ud800) in strings and arbitrarily deep nesting, and
/// PostgreSQL's text and jsonb refuse the first two. Every field a device sends is read through here.
/// </summary>
public static class PayloadJson
{
    /// <summary>Deeper than any contract needs (a check-in's position is depth 2): deep nesting is refused, not walked.</summary>
    public const int MaxDepth = 8;

    /// <summary>The payload as a JSON object, or why not.</summary>
    public static JsonDocument? ParseObject(ReadOnlySpan<byte> payload, out string? problem)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            problem = $"payload is not JSON: {e.Message}";
            return null;
        }
        catch (ArgumentException e)
        {
            // System.Text.Json reports a nesting deeper than MaxDepth this way on some paths.
            problem = $"payload is not JSON this server reads: {e.Message}";
            return null;
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            problem = "payload must be a JSON object";
            return null;
        }
        problem = UnstorableText(payload);
        if (problem is not null)
        {
            document.Dispose();
            return null;
        }
        return document;
    }

    /// <summary>
    /// The first name or string anywhere in the document that no text column could hold (a NUL, an
    /// unpaired surrogate), said with its path — even in fields the contract ignores, so a message is
    /// either clean throughout or refused.
    /// </summary>
    private static string? UnstorableText(ReadOnlySpan<byte> payload)
    {
        // A NUL can only arrive escaped (the parser refuses raw control characters), and an unpaired surrogate either
        // escaped or as bytes that are not UTF-8: a payload of valid UTF-8 without a backslash, as nearly every device
        // sends, holds neither, and is not walked again.
        if (!payload.Contains((byte)'\\') && Utf8.IsValid(payload))
        {
            return null;
        }
        // The document has parsed within MaxDepth already: the scan can find only text.
        if (!JsonTextScan.TryFind(payload, MaxDepth, out var finding) || finding is null or { Problem: JsonTextScan.Problem.TooDeep })
        {
            return null;
        }
        var path = string.Concat(finding.Path.Select(step => step.IsIndex ? $"/{step.Index}" : $"/{step.Name}"));
        return (finding.InName, finding.Problem) switch
        {
            (true, JsonTextScan.Problem.Nul) =>
                $"the field name '{finding.Name!.Replace("\0", "\\u0000", StringComparison.Ordinal)}' contains a NUL character (\\u0000)",
            (true, _) => $"a field name under '{(path.Length == 0 ? "/" : path)}' contains an unpaired UTF-16 surrogate (\\ud800–\\udfff), which is not text",
            (false, JsonTextScan.Problem.Nul) => $"'{path}' contains a NUL character (\\u0000)",
            _ => $"'{path}' contains an unpaired UTF-16 surrogate (\\ud800–\\udfff), which is not text",
        };
    }

    /// <summary>A string field that text columns can hold: no NUL, no unpaired surrogate, at most <paramref name="maxLength"/> characters.</summary>
    public static bool TryGetText(JsonElement element, string field, int maxLength, out string text, out string? problem)
    {
        text = "";
        if (element.ValueKind != JsonValueKind.String)
        {
            problem = $"\"{field}\" must be a string";
            return false;
        }
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            problem = $"\"{field}\" contains an unpaired UTF-16 surrogate (\\ud800–\\udfff), which is not text";
            return false;
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            problem = $"\"{field}\" contains a NUL character (\\u0000)";
            return false;
        }
        if (text.Length > maxLength)
        {
            problem = $"\"{field}\" is {text.Length} characters long; at most {maxLength} are accepted";
            return false;
        }
        problem = null;
        return true;
    }

    /// <summary>A finite number (1e400 parses as infinity in .NET and float8 refuses it).</summary>
    public static bool TryGetFinite(JsonElement element, out double value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out value) && double.IsFinite(value);
    }

    public static bool TryGetWhole(JsonElement root, string name, out long value)
    {
        value = 0;
        return root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value) && value >= 0;
    }
}
