using System.Text.RegularExpressions;

namespace Paju.Field.Tags;

/// <summary>
/// A plate's URL taken apart: <c>{base}/t/{tagId}</c> with either the static signature <c>?s=…</c> or
/// the SUN parameters <c>?picc_data=…&amp;cmac=…</c> (optionally <c>&amp;enc=…</c>). Parsing only checks
/// the shape; whether the proof is genuine is decided against the keys.
/// </summary>
public sealed partial record TagUrl(string TagId, string? Signature, byte[]? PiccData, byte[]? Cmac, byte[]? Enc, string MacInput)
{
    public const string PathSegment = "t";

    /// <summary>Tag ids: 6–32 of a–z and 0–9, so they print clearly and never need escaping.</summary>
    public static bool IsTagId(string text) => TagIdPattern().IsMatch(text);

    public bool HasSun => PiccData is not null && Cmac is not null;

    /// <summary>The plate's URL for a base address (no trailing slash) and an optional query.</summary>
    public static string For(string baseUrl, string tagId, string? query = null) =>
        $"{baseUrl.TrimEnd('/')}/{PathSegment}/{tagId}{(string.IsNullOrEmpty(query) ? "" : "?" + query)}";

    /// <returns>The parts, or null with a reason a person can act on.</returns>
    public static (TagUrl? Url, string? Problem) Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return (null, "not an absolute http(s) URL");
        }
        var segments = uri.AbsolutePath.TrimEnd('/').Split('/');
        if (segments.Length < 3 || segments[^2] != PathSegment || !IsTagId(segments[^1]))
        {
            return (null, "not a tag URL: the path must end in /t/{tag id}");
        }
        var tagId = segments[^1];
        var rawQuery = uri.Query.TrimStart('?');
        string? signature = null, picc = null, cmac = null, enc = null;
        var macInputStart = -1;
        var macInputEnd = -1;
        var position = 0;
        foreach (var pair in rawQuery.Split('&'))
        {
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            var valueStart = position + name.Length + 1;
            switch (name)
            {
                case "s": signature = Uri.UnescapeDataString(value); break;
                case "picc_data": picc = value; break;
                case "enc": enc = value; macInputStart = valueStart; break;
                case "cmac": cmac = value; macInputEnd = valueStart; break;
            }
            position += pair.Length + 1;
        }
        byte[]? piccBytes = null, cmacBytes = null, encBytes = null;
        if (picc is not null || cmac is not null)
        {
            piccBytes = Hex(picc, SunMessage.PiccDataLength);
            cmacBytes = Hex(cmac, SunMessage.MacLength);
            if (piccBytes is null || cmacBytes is null)
            {
                return (null, "SUN parameters must be picc_data (32 hex digits) and cmac (16 hex digits)");
            }
            if (enc is not null)
            {
                encBytes = enc.Length is > 0 and <= 512 && enc.Length % 32 == 0 ? Hex(enc, enc.Length / 2) : null;
                if (encBytes is null)
                {
                    return (null, "SUN parameter enc must be whole AES blocks in hex");
                }
            }
        }
        // The tag MACs the URL's own ASCII from the start of enc's value up to cmac's value; with no enc, nothing.
        var macInput = macInputStart >= 0 && macInputEnd > macInputStart ? rawQuery[macInputStart..macInputEnd] : "";
        return (new TagUrl(tagId, signature, piccBytes, cmacBytes, encBytes, macInput), null);
    }

    private static byte[]? Hex(string? text, int bytes)
    {
        if (text is null || text.Length != bytes * 2 || !text.All(char.IsAsciiHexDigit))
        {
            return null;
        }
        return Convert.FromHexString(text);
    }

    [GeneratedRegex("^[0-9a-z]{6,32}$")]
    private static partial Regex TagIdPattern();
}
