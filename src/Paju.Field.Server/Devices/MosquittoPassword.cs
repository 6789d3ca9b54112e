using System.Security.Cryptography;
using System.Text;

namespace Paju.Field.Server.Devices;

/// <summary>
/// mosquitto's own password hash, "$7$": PBKDF2-HMAC-SHA512 over the password with a 12-byte salt,
/// 101 iterations (mosquitto_passwd's default), written <c>$7$101$base64(salt)$base64(hash)</c>.
/// Device secrets are stored this way so the same hash serves the embedded broker and the
/// password file `paju broker config` writes for mosquitto. The secrets are random and long, so
/// the small iteration count does not weaken them.
/// </summary>
public static class MosquittoPassword
{
    private const int Iterations = 101;
    private const int SaltBytes = 12;
    private const int HashBytes = 64;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA512, HashBytes);
        return $"$7${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        // "", "7", iterations, salt, hash
        if (parts.Length != 5 || parts[1] != "7" || !int.TryParse(parts[2], out var iterations) || iterations is < 1 or > 10_000_000)
        {
            return false;
        }
        try
        {
            var salt = Convert.FromBase64String(parts[3]);
            var expected = Convert.FromBase64String(parts[4]);
            var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A new device secret: 24 random bytes, URL-safe.</summary>
    public static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}
