using System.Security.Cryptography;

namespace Paju.Field.Tags;

/// <summary>
/// Does what an NTAG 424 DNA tag does on each tap — counter up, fresh picc_data and cmac in its URL — for
/// the simulated readers of the demo and for tests. The URL layout is the one <c>paju tag sdm-sheet</c> programs.
/// </summary>
public sealed class SunTagEmulator(string baseUrl, string tagId, byte[] metaKey, byte[] fileKey, string uid, int counter = 0)
{
    public int Counter { get; private set; } = counter;

    public string Uid => uid;

    /// <summary>The URL of the next tap (the counter goes up first, as the tag's does).</summary>
    public string Tap(byte[]? fileData = null) => UrlFor(++Counter, fileData);

    /// <summary>The URL the tag would have produced at <paramref name="readCounter"/>.</summary>
    public string UrlFor(int readCounter, byte[]? fileData = null)
    {
        var reading = new SunReading(uid, readCounter);
        var picc = Convert.ToHexString(SunMessage.EncryptPiccData(metaKey, reading, RandomNumberGenerator.GetBytes(5)));
        if (fileData is null)
        {
            var mac = Convert.ToHexString(SunMessage.Mac(fileKey, reading, []));
            return TagUrl.For(baseUrl, tagId, $"picc_data={picc}&cmac={mac}");
        }
        var enc = Convert.ToHexString(SunMessage.EncryptFileData(fileKey, reading, fileData));
        var macInput = System.Text.Encoding.ASCII.GetBytes($"{enc}&cmac=");
        return TagUrl.For(baseUrl, tagId, $"picc_data={picc}&enc={enc}&cmac={Convert.ToHexString(SunMessage.Mac(fileKey, reading, macInput))}");
    }
}
