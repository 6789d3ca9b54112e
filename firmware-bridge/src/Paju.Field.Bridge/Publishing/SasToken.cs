using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// IoT Hub's shared access signature for one device:
/// <c>SharedAccessSignature sr={enc(uri)}&amp;sig={enc(base64(HMAC-SHA256(key, enc(uri) + "\n" + se)))}&amp;se={expiry}</c>
/// with uri <c>{hub}/devices/{deviceId}</c>. The string signed is exactly the <c>sr</c> sent.
/// </summary>
public static class SasToken
{
    public static string ResourceUri(string hostName, string deviceId) => $"{hostName}/devices/{deviceId}";

    /// <summary>base64(HMAC-SHA256(base64decode(key), toSign + "\n" + expiry)).</summary>
    public static string Signature(string base64Key, string toSign, long expiryUnixSeconds) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(base64Key),
            Encoding.UTF8.GetBytes(toSign + "\n" + expiryUnixSeconds.ToString(CultureInfo.InvariantCulture))));

    public static string Create(string hostName, string deviceId, string base64Key, DateTimeOffset expiry)
    {
        var se = expiry.ToUnixTimeSeconds();
        var sr = Uri.EscapeDataString(ResourceUri(hostName, deviceId));
        var sig = Uri.EscapeDataString(Signature(base64Key, sr, se));
        return string.Create(CultureInfo.InvariantCulture, $"SharedAccessSignature sr={sr}&sig={sig}&se={se}");
    }
}
