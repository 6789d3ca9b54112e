using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Paju.Field.Tags;

/// <summary>
/// The static proof a printed QR plate or a cheap NTAG 213/215 can carry: HMAC-SHA256 of the tag id
/// under a versioned city key, cut to 96 bits and written base64url as <c>s={version}.{signature}</c>.
/// It proves the URL came from the city, not that anyone stood there — the distance check does that.
/// </summary>
public static class TagSignature
{
    public const int KeyLength = 32;
    private const int SignatureBytes = 12;

    public static string Sign(ReadOnlySpan<byte> key, string tagId)
    {
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(tagId));
        return Base64Url.EncodeToString(mac.AsSpan(0, SignatureBytes));
    }

    public static string Parameter(int keyVersion, ReadOnlySpan<byte> key, string tagId) => $"{keyVersion}.{Sign(key, tagId)}";

    public static bool Matches(ReadOnlySpan<byte> key, string tagId, string signature)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(key, tagId));
        var given = Encoding.UTF8.GetBytes(signature);
        return expected.Length == given.Length && CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>Splits <c>{version}.{signature}</c>; false when it is not that shape.</summary>
    public static bool TryParse(string parameter, out int keyVersion, out string signature)
    {
        keyVersion = 0;
        signature = "";
        var dot = parameter.IndexOf('.');
        if (dot <= 0 || dot > 6 || !int.TryParse(parameter.AsSpan(0, dot), System.Globalization.NumberStyles.None, null, out keyVersion) || keyVersion <= 0)
        {
            return false;
        }
        signature = parameter[(dot + 1)..];
        return signature.Length is > 0 and <= 64;
    }
}
