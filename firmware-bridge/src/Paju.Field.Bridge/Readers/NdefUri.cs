using System.Text;

namespace Paju.Field.Bridge.Readers;

/// <summary>
/// The URL a tag carries, from its NDEF message (NFC Forum NDEF 1.0 and URI RTD): the first well-known "U" record's
/// prefix code and the rest of its address, exactly as written — a SUN URL's fresh parameters reach the server
/// untouched. Type 2 tags hold the message in a TLV (<c>03 LEN … FE</c>); Type 4 tags after a two-byte NLEN.
/// </summary>
public static class NdefUri
{
    // URI RTD §3.2.2: the abbreviation each identifier code stands for.
    private static readonly string[] Prefixes =
    [
        "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:", "ftp://anonymous:anonymous@", "ftp://ftp.", "ftps://",
        "sftp://", "smb://", "nfs://", "ftp://", "dav://", "news:", "telnet://", "imap:", "rtsp://", "urn:", "pop:", "sip:", "sips:", "tftp:",
        "btspp://", "btl2cap://", "btgoep://", "tcpobex://", "irdaobex://", "file://", "urn:epc:id:", "urn:epc:tag:", "urn:epc:pat:", "urn:epc:raw:",
        "urn:epc:", "urn:nfc:",
    ];

    /// <summary>How many bytes of a Type 2 tag's data area (from page 4) are needed to hold the whole NDEF TLV, or null when not yet known.</summary>
    public static int? Type2BytesNeeded(ReadOnlySpan<byte> area)
    {
        var i = 0;
        while (i < area.Length)
        {
            var tag = area[i];
            if (tag == 0x00)
            {
                i++;   // NULL TLV
                continue;
            }
            if (tag == 0xFE)
            {
                return i + 1;   // terminator before any NDEF TLV: an empty tag
            }
            if (i + 1 >= area.Length)
            {
                return null;
            }
            int length, header;
            if (area[i + 1] == 0xFF)
            {
                if (i + 3 >= area.Length)
                {
                    return null;
                }
                length = (area[i + 2] << 8) | area[i + 3];
                header = 4;
            }
            else
            {
                length = area[i + 1];
                header = 2;
            }
            if (tag == 0x03)
            {
                return i + header + length;
            }
            i += header + length;   // lock or memory control TLVs come first on some tags
        }
        return null;
    }

    /// <summary>The URL in a Type 2 tag's data area (bytes from page 4).</summary>
    public static (string? Url, string? Problem) FromType2(ReadOnlySpan<byte> area)
    {
        var i = 0;
        while (i < area.Length)
        {
            var tag = area[i];
            if (tag == 0x00)
            {
                i++;
                continue;
            }
            if (tag == 0xFE)
            {
                return (null, "NDEF 메시지가 없는 태그입니다 (빈 태그).");
            }
            if (i + 1 >= area.Length)
            {
                break;
            }
            int length, header;
            if (area[i + 1] == 0xFF)
            {
                if (i + 3 >= area.Length)
                {
                    break;
                }
                (length, header) = ((area[i + 2] << 8) | area[i + 3], 4);
            }
            else
            {
                (length, header) = (area[i + 1], 2);
            }
            if (i + header + length > area.Length)
            {
                return (null, "NDEF 메시지가 잘렸습니다 (태그를 너무 일찍 뗐거나 읽기가 끊김).");
            }
            if (tag == 0x03)
            {
                return FromMessage(area.Slice(i + header, length));
            }
            i += header + length;
        }
        return (null, "태그의 TLV 를 읽을 수 없습니다.");
    }

    /// <summary>The URL in a Type 4 tag's NDEF file (NLEN then the message).</summary>
    public static (string? Url, string? Problem) FromType4(ReadOnlySpan<byte> file)
    {
        if (file.Length < 2)
        {
            return (null, "NDEF 파일이 너무 짧습니다.");
        }
        var nlen = (file[0] << 8) | file[1];
        return file.Length - 2 < nlen ? (null, "NDEF 메시지가 잘렸습니다.") : FromMessage(file.Slice(2, nlen));
    }

    /// <summary>The first URI record of an NDEF message.</summary>
    public static (string? Url, string? Problem) FromMessage(ReadOnlySpan<byte> message)
    {
        var i = 0;
        while (i < message.Length)
        {
            var flags = message[i];
            var tnf = flags & 0x07;
            var shortRecord = (flags & 0x10) != 0;
            var hasId = (flags & 0x08) != 0;
            var chunked = (flags & 0x20) != 0;
            if (i + 2 > message.Length)
            {
                break;
            }
            var typeLength = message[i + 1];
            var at = i + 2;
            int payloadLength;
            if (shortRecord)
            {
                if (at + 1 > message.Length)
                {
                    break;
                }
                payloadLength = message[at++];
            }
            else
            {
                if (at + 4 > message.Length)
                {
                    break;
                }
                payloadLength = (message[at] << 24) | (message[at + 1] << 16) | (message[at + 2] << 8) | message[at + 3];
                at += 4;
            }
            var idLength = 0;
            if (hasId)
            {
                if (at + 1 > message.Length)
                {
                    break;
                }
                idLength = message[at++];
            }
            if (payloadLength < 0 || at + typeLength + idLength + payloadLength > message.Length)
            {
                return (null, "NDEF 레코드가 잘렸습니다.");
            }
            var type = message.Slice(at, typeLength);
            var payload = message.Slice(at + typeLength + idLength, payloadLength);
            if (!chunked && tnf == 0x01 && type.Length == 1 && type[0] == (byte)'U' && payload.Length >= 1)
            {
                if (payload[0] >= Prefixes.Length)
                {
                    return (null, $"알 수 없는 URI 접두 코드 0x{payload[0]:X2} 입니다.");
                }
                try
                {
                    var rest = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload[1..]);
                    return (Prefixes[payload[0]] + rest, null);
                }
                catch (DecoderFallbackException)
                {
                    return (null, "URI 가 UTF-8 이 아닙니다.");
                }
            }
            if ((flags & 0x40) != 0)   // ME: the last record
            {
                break;
            }
            i = at + typeLength + idLength + payloadLength;
        }
        return (null, "태그에 주소(URI 레코드)가 없습니다.");
    }
}
