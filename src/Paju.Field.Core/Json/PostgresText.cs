namespace Paju.Field.Json;

/// <summary>
/// Text that PostgreSQL's text and jsonb can hold. .NET strings, JSON and CSV files may carry a NUL character or an
/// unpaired UTF-16 surrogate; PostgreSQL refuses both (22021, or an encoder error before the statement is sent), and
/// a refusal there fails a whole statement — a COPY of a million rows, or a batch of readings — for one bad value.
/// </summary>
public static class PostgresText
{
    public static bool CanHold(string text) => NextUnholdable(text, 0) < 0;

    /// <summary>The text with each NUL and unpaired surrogate replaced by U+FFFD, for showing or keeping what was refused.</summary>
    public static string Storable(string text)
    {
        var i = NextUnholdable(text, 0);
        if (i < 0)
        {
            return text;
        }
        var chars = text.ToCharArray();
        for (; i >= 0; i = NextUnholdable(text, i + 1))
        {
            chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    /// <summary>Where, from <paramref name="from"/> on, the next NUL or unpaired surrogate is; -1 if none.</summary>
    private static int NextUnholdable(string text, int from)
    {
        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (c == '\0' || char.IsSurrogate(c))
            {
                return i;
            }
        }
        return -1;
    }
}
