namespace Paju.Field.Json;

/// <summary>
/// Text that PostgreSQL's text and jsonb can hold. .NET strings, JSON and CSV files may carry a NUL character or an
/// unpaired UTF-16 surrogate; PostgreSQL refuses both (22021, or an encoder error before the statement is sent), and
/// a refusal there fails a whole statement — a COPY of a million rows, or a batch of readings — for one bad value.
/// </summary>
public static class PostgresText
{
    public static bool CanHold(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The text with each NUL and unpaired surrogate replaced by U+FFFD, for showing or keeping what was refused.</summary>
    public static string Storable(string text)
    {
        if (CanHold(text))
        {
            return text;
        }
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (chars[i] == '\0' || char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }
        return new string(chars);
    }
}
