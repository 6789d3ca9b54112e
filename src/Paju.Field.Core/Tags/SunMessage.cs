using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Engines;

namespace Paju.Field.Tags;

/// <summary>What an NTAG 424 DNA tag put in its SUN message: the chip's UID and its read counter.</summary>
public readonly record struct SunReading(string Uid, int Counter);

/// <summary>
/// NTAG 424 DNA Secure Unique NFC messages (NXP AN12196): the tag encrypts its UID and read counter
/// into <c>picc_data</c> with the meta key and MACs each read with a session key derived from the
/// file key, the UID and the counter. Only the holder of the keys can check — or forge — either.
/// </summary>
public static class SunMessage
{
    public const int KeyLength = 16;
    public const int PiccDataLength = 16;
    public const int MacLength = 8;
    private const byte PiccDataTag = 0xC7; // UID and counter mirrored, 7-byte UID

    /// <summary>Decrypts <c>picc_data</c> (AES-128-CBC, IV zero); null when it does not start with the PICCDataTag the tag writes.</summary>
    public static SunReading? DecryptPiccData(ReadOnlySpan<byte> metaKey, ReadOnlySpan<byte> piccData)
    {
        if (metaKey.Length != KeyLength || piccData.Length != PiccDataLength)
        {
            return null;
        }
        using var aes = Aes.Create();
        aes.Key = metaKey.ToArray();
        var plain = aes.DecryptCbc(piccData, new byte[16], PaddingMode.None);
        if (plain[0] != PiccDataTag)
        {
            return null;
        }
        var counter = plain[8] | plain[9] << 8 | plain[10] << 16;
        return new SunReading(Convert.ToHexString(plain, 1, 7), counter);
    }

    /// <summary>The session MAC key: AES-CMAC(K_file, SV2), SV2 = 3C C3 00 01 00 80 | UID | counter (LSB first).</summary>
    public static byte[] SessionMacKey(ReadOnlySpan<byte> fileKey, SunReading reading) => Cmac(fileKey, SessionVector(0x3C, 0xC3, reading));

    /// <summary>The session ENC key (for the encrypted file data): AES-CMAC(K_file, SV1), SV1 = C3 3C 00 01 00 80 | UID | counter.</summary>
    public static byte[] SessionEncKey(ReadOnlySpan<byte> fileKey, SunReading reading) => Cmac(fileKey, SessionVector(0xC3, 0x3C, reading));

    /// <summary>SDMMAC: the odd bytes (1, 3, …, 15) of AES-CMAC(session MAC key, the ASCII between the configured offsets).</summary>
    public static byte[] Mac(ReadOnlySpan<byte> fileKey, SunReading reading, ReadOnlySpan<byte> macInput)
    {
        var full = Cmac(SessionMacKey(fileKey, reading), macInput);
        var truncated = new byte[MacLength];
        for (var i = 0; i < MacLength; i++)
        {
            truncated[i] = full[2 * i + 1];
        }
        return truncated;
    }

    /// <summary>True when <paramref name="mac"/> is the tag's MAC for this read (compared in constant time).</summary>
    public static bool MacMatches(ReadOnlySpan<byte> fileKey, SunReading reading, ReadOnlySpan<byte> macInput, ReadOnlySpan<byte> mac) =>
        mac.Length == MacLength && CryptographicOperations.FixedTimeEquals(Mac(fileKey, reading, macInput), mac);

    /// <summary>Decrypts the mirrored file data (<c>enc</c>): AES-128-CBC with the session ENC key, IV = E(K_ses, counter | 0¹³).</summary>
    public static byte[] DecryptFileData(ReadOnlySpan<byte> fileKey, SunReading reading, ReadOnlySpan<byte> encrypted)
    {
        using var aes = Aes.Create();
        aes.Key = SessionEncKey(fileKey, reading);
        var ivInput = new byte[16];
        WriteCounter(ivInput.AsSpan(0, 3), reading.Counter);
        var iv = aes.EncryptEcb(ivInput, PaddingMode.None);
        return aes.DecryptCbc(encrypted, iv, PaddingMode.None);
    }

    /// <summary>What a tag computes on a tap: <c>picc_data</c> for this UID and counter (with the given random bytes) — for tag emulators and tests.</summary>
    public static byte[] EncryptPiccData(ReadOnlySpan<byte> metaKey, SunReading reading, ReadOnlySpan<byte> random)
    {
        var plain = new byte[16];
        plain[0] = PiccDataTag;
        Convert.FromHexString(reading.Uid).CopyTo(plain, 1);
        WriteCounter(plain.AsSpan(8, 3), reading.Counter);
        random[..5].CopyTo(plain.AsSpan(11));
        using var aes = Aes.Create();
        aes.Key = metaKey.ToArray();
        return aes.EncryptCbc(plain, new byte[16], PaddingMode.None);
    }

    public static byte[] EncryptFileData(ReadOnlySpan<byte> fileKey, SunReading reading, ReadOnlySpan<byte> plain)
    {
        using var aes = Aes.Create();
        aes.Key = SessionEncKey(fileKey, reading);
        var ivInput = new byte[16];
        WriteCounter(ivInput.AsSpan(0, 3), reading.Counter);
        var iv = aes.EncryptEcb(ivInput, PaddingMode.None);
        return aes.EncryptCbc(plain, iv, PaddingMode.None);
    }

    private static byte[] SessionVector(byte first, byte second, SunReading reading)
    {
        var sv = new byte[16];
        sv[0] = first;
        sv[1] = second;
        sv[3] = 0x01;
        sv[5] = 0x80;
        Convert.FromHexString(reading.Uid).CopyTo(sv, 6);
        WriteCounter(sv.AsSpan(13, 3), reading.Counter);
        return sv;
    }

    private static void WriteCounter(Span<byte> destination, int counter)
    {
        Span<byte> le = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(le, counter);
        le[..3].CopyTo(destination);
    }

    private static byte[] Cmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message)
    {
        var cmac = new CMac(new AesEngine());
        cmac.Init(new KeyParameter(key));
        cmac.BlockUpdate(message);
        var result = new byte[cmac.GetMacSize()];
        cmac.DoFinal(result, 0);
        return result;
    }
}
