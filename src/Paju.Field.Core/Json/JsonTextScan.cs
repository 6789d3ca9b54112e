using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Paju.Field.Json;

/// <summary>
/// Finds the first place in a JSON document that PostgreSQL's text and jsonb could not hold: JSON allows a NUL
/// (\u0000) and unpaired surrogates (\ud800) in names and strings, and any depth of nesting. Devices and people send
/// JSON by different doors, each saying the problem in its own words (see PayloadJson, RequestTextCheck); what counts
/// as a problem, and where it is, is decided once, here.
/// </summary>
public static class JsonTextScan
{
    public enum Problem
    {
        /// <summary>A NUL character, which text columns refuse.</summary>
        Nul,

        /// <summary>An unpaired surrogate or bytes that are not UTF-8: not text at all.</summary>
        NotText,

        /// <summary>Nested deeper than the caller allows.</summary>
        TooDeep,
    }

    /// <summary>One step of a path: a field's name, or an index in an array.</summary>
    public readonly record struct Step(string? Name, int Index)
    {
        public bool IsIndex => Name is null;
    }

    /// <param name="Path">Where: the value's own path, or for a name, the path of the object holding it.</param>
    /// <param name="InName">The problem is in a field's name, not in a value.</param>
    /// <param name="Name">That name as far as it is text (for a NUL); null when it is not text.</param>
    public sealed record Finding(Problem Problem, IReadOnlyList<Step> Path, bool InName = false, string? Name = null);

    /// <summary>
    /// Reads <paramref name="json"/> to its end and gives its first problem in a name or string, or none. False when it
    /// is not JSON at all, which is for the caller to refuse in its own terms, even after a problem was found. Nesting
    /// past <paramref name="maxDepth"/> stops the reading at once and is the finding, whatever came before, so that it is
    /// not taken for JSON that does not parse (the reader itself would stop one level deeper).
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> json, int maxDepth, out Finding? finding)
    {
        finding = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        var frames = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(frames);
                        if (frames.Count == maxDepth)
                        {
                            finding = new(Problem.TooDeep, PathOf(frames, frames.Count, json));
                            return true;
                        }
                        frames.Add(new(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var name = Check(ref reader);
                        if (name.Problem is { } inName)
                        {
                            finding ??= new(inName, PathOf(frames, frames.Count - 1, json), InName: true, Name: name.Text);
                        }
                        // Names are read back from the bytes only for a finding; one that had to be unescaped is kept.
                        frames[^1] = frames[^1] with
                        {
                            NameStart = (int)reader.TokenStartIndex + 1,
                            NameLength = reader.ValueSpan.Length,
                            Unescaped = reader.ValueIsEscaped ? name.Text ?? "?" : null,
                        };
                        break;
                    default:
                        Advance(frames);
                        if (reader.TokenType == JsonTokenType.String && Check(ref reader).Problem is { } inValue)
                        {
                            finding ??= new(inValue, PathOf(frames, frames.Count, json));
                        }
                        break;
                }
            }
        }
        catch (JsonException)
        {
            finding = null;
            return false;
        }
        return true;
    }

    /// <summary>A value begins: in an array, it is the next index.</summary>
    private static void Advance(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
        }
    }

    /// <summary>A string or name as text, or what it holds that is not: plain UTF-8 without escapes is checked without decoding.</summary>
    private static (string? Text, Problem? Problem) Check(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            // The reader refuses raw control characters in strings: a NUL can only arrive escaped.
            return Utf8.IsValid(reader.ValueSpan) ? (null, null) : (null, Problem.NotText);
        }
        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return (null, Problem.NotText);
        }
        // GetString has already refused unpaired surrogates: what is left to find is a NUL.
        return text.Contains('\0', StringComparison.Ordinal) ? (text, Problem.Nul) : (text, null);
    }

    /// <summary>
    /// The path through the first <paramref name="depth"/> open containers: in each, the index or the name last read,
    /// which is what leads to the next container or to the value just read.
    /// </summary>
    private static Step[] PathOf(List<Frame> frames, int depth, ReadOnlySpan<byte> json)
    {
        var steps = new Step[depth];
        for (var i = 0; i < depth; i++)
        {
            var f = frames[i];
            steps[i] = f.IsArray ? new(null, f.Index) : new(f.Unescaped ?? Encoding.UTF8.GetString(json.Slice(f.NameStart, f.NameLength)), 0);
        }
        return steps;
    }

    private readonly record struct Frame(bool IsArray)
    {
        public int Index { get; init; } = -1;
        public int NameStart { get; init; }
        public int NameLength { get; init; }
        public string? Unescaped { get; init; }
    }
}
