using System.Text;

namespace Paju.Field.Server.Tags;

/// <summary>
/// What a tag vendor (or the city's own programming station) needs to set an NTAG 424 DNA up for SUN
/// (NXP AN12196): the NDEF file with placeholders, the offsets of picc_data and cmac in it, the file and
/// SDM settings, and the tag's keys. Key 1 is the meta key (encrypts UID and counter into picc_data),
/// key 2 the file key (the SUN MAC); key 0, the application master key, stays with the city.
/// </summary>
public static class SdmSheet
{
    private const int NdefFileSize = 256;

    public sealed record Row(string TagId, string AssetCode, string AssetName, string? Uid, string UrlTemplate, string NdefHex,
        int PiccDataOffset, int MacInputOffset, int MacOffset, string MetaKey, string FileKey);

    public const string Header =
        "tag_id,asset_code,asset_name,uid,url_template,ndef_file_hex,picc_data_offset,sdm_mac_input_offset,sdm_mac_offset," +
        "file_option,access_rights,sdm_options,sdm_access_rights,key1_meta_hex,key2_file_hex";

    // FileOption 0x40: SDM on, plain communication. Access rights (Read, Write, ReadWrite, Change): E (free) 0 0 0.
    // SDMOptions 0xC1: UID mirror, read-counter mirror, ASCII encoding. SDMAccessRights: RFU F, CtrRet F (none),
    // MetaRead 1 (picc_data encrypted with key 1), FileRead 2 (MAC with key 2) — written LSB first: 12 FF.
    private const string Settings = "40,E000 (read free; write/read-write/change key 0),C1,FF12 (send as 12 FF: meta read key 1 · file read key 2 · counter retrieval none)";

    /// <summary>The row for one tag; <paramref name="baseUrl"/> is the public address its URL starts with.</summary>
    public static Row For(Tag tag, SunKeys keys, string baseUrl)
    {
        var template = Paju.Field.Tags.TagUrl.For(baseUrl, tag.Id, $"picc_data={new string('0', 32)}&cmac={new string('0', 16)}");
        var (prefix, rest) = template.StartsWith("https://", StringComparison.Ordinal) ? ((byte)0x04, template[8..])
            : template.StartsWith("http://", StringComparison.Ordinal) ? ((byte)0x03, template[7..])
            : throw new PajuSetupException($"The public address must be http(s): {baseUrl}");
        var uri = Encoding.ASCII.GetBytes(rest);
        var payloadLength = 1 + uri.Length;
        if (payloadLength > 255 || 2 + 4 + payloadLength > NdefFileSize)
        {
            throw new PajuSetupException($"The tag URL {template} is too long for one short NDEF record in the tag's 256-byte file; use a shorter public address.");
        }
        // NDEF file: NLEN (2 bytes, big-endian), then one short URI record: D1 01 <payload length> 55 <prefix> <rest>.
        var file = new List<byte> { 0, (byte)(4 + payloadLength), 0xD1, 0x01, (byte)payloadLength, 0x55, prefix };
        file.AddRange(uri);
        const int uriStart = 7;
        var picc = uriStart + rest.IndexOf("picc_data=", StringComparison.Ordinal) + "picc_data=".Length;
        var mac = uriStart + rest.IndexOf("cmac=", StringComparison.Ordinal) + "cmac=".Length;
        return new Row(tag.Id, tag.AssetCode, tag.AssetName, tag.Uid, template, Convert.ToHexString([.. file]), picc, mac, mac,
            Convert.ToHexString(keys.Meta), Convert.ToHexString(keys.File));
    }

    public static string CsvLine(Row r) => string.Join(',',
        r.TagId, r.AssetCode, Csv(r.AssetName), r.Uid ?? "", r.UrlTemplate, r.NdefHex, r.PiccDataOffset, r.MacInputOffset, r.MacOffset,
        Settings, r.MetaKey, r.FileKey);

    public static string Csv(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
