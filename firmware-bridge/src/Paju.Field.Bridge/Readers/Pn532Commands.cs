namespace Paju.Field.Bridge.Readers;

/// <summary>An ISO 14443A tag the PN532 found: its UID, and what kind of tag its SEL_RES says it is.</summary>
/// <param name="Ats">For an ISO-DEP (Type 4) tag, its answer to select.</param>
public sealed record Pn532Target(byte Number, ushort SensRes, byte SelRes, byte[] Uid, byte[] Ats)
{
    /// <summary>SEL_RES bit 6 (0x20): the tag speaks ISO-DEP — an NTAG 424 DNA (Type 4), read with APDUs, not READ.</summary>
    public bool IsType4 => (SelRes & 0x20) != 0;

    public string UidHex => Convert.ToHexString(Uid);
}

/// <summary>
/// The PN532 commands a fixed reader needs (UM0701-02 §7), as the bytes after the TFI, and their replies read back:
/// GetFirmwareVersion, SAMConfiguration (normal mode), InListPassiveTarget for one 106 kbps type A target, and
/// InDataExchange to talk to the tag (NTAG READ, ISO 7816 APDUs).
/// </summary>
public static class Pn532Commands
{
    public static readonly byte[] GetFirmwareVersion = [0x02];

    /// <summary>Normal mode, a 1 s virtual-card timeout (0x14 × 50 ms), IRQ used.</summary>
    public static readonly byte[] SamConfiguration = [0x14, 0x01, 0x14, 0x01];

    public static readonly byte[] InListOneTypeA = [0x4A, 0x01, 0x00];

    /// <summary>From power-down the PN532 listens only after a long wake-up preamble.</summary>
    public static readonly byte[] WakeUp = [0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    public static byte[] InDataExchange(byte target, ReadOnlySpan<byte> data) => [0x40, target, .. data];

    /// <summary>NTAG READ: four pages (16 bytes) from <paramref name="page"/>.</summary>
    public static byte[] NtagRead(byte page) => [0x30, page];

    public static byte[] SelectNdefApplication => [0x00, 0xA4, 0x04, 0x00, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01, 0x00];

    public static byte[] SelectNdefFile => [0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x04];

    public static byte[] ReadBinary(int offset, int length) => [0x00, 0xB0, (byte)(offset >> 8), (byte)offset, (byte)length];

    /// <summary>The reply to GetFirmwareVersion: IC (0x32 for a PN532) and version.</summary>
    public static (byte Ic, byte Version, byte Revision)? FirmwareOf(byte[] data) =>
        data is [0x03, var ic, var version, var revision, ..] ? (ic, version, revision) : null;

    /// <returns>The target, or null when no tag is in the field; a malformed reply is an error with its reason.</returns>
    public static (Pn532Target? Target, string? Problem) TargetOf(byte[] data)
    {
        if (data.Length < 2 || data[0] != 0x4B)
        {
            return (null, "InListPassiveTarget 의 응답이 아닙니다.");
        }
        if (data[1] == 0)
        {
            return (null, null);
        }
        // Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1…, [ATS]
        if (data.Length < 7)
        {
            return (null, "태그 응답이 너무 짧습니다.");
        }
        var uidLength = data[6];
        if (uidLength is not (4 or 7 or 10) || data.Length < 7 + uidLength)
        {
            return (null, $"UID 길이 {uidLength} 가 맞지 않습니다.");
        }
        var uid = data[7..(7 + uidLength)];
        var ats = data[(7 + uidLength)..];
        return (new Pn532Target(data[2], (ushort)((data[3] << 8) | data[4]), data[5], uid, ats), null);
    }

    /// <summary>The tag's answer inside an InDataExchange reply, or why there is none (status ≠ 00: timeout, CRC, tag gone…).</summary>
    public static (byte[]? Answer, string? Problem) ExchangeOf(byte[] data)
    {
        if (data.Length < 2 || data[0] != 0x41)
        {
            return (null, "InDataExchange 의 응답이 아닙니다.");
        }
        return data[1] switch
        {
            0x00 => (data[2..], null),
            0x01 => (null, "태그가 응답하지 않았습니다 (시간 초과: 태그를 뗐을 수 있음)."),
            0x02 => (null, "태그 통신 CRC 오류."),
            0x27 => (null, "태그가 이 명령을 받지 않습니다."),
            var status => (null, $"태그 통신 오류 (상태 0x{status:X2})."),
        };
    }

    /// <summary>An ISO 7816 answer: its data, when the status word is 90 00.</summary>
    public static (byte[]? Data, string? Problem) ApduOf(byte[] answer) =>
        answer.Length >= 2 && answer[^2] == 0x90 && answer[^1] == 0x00
            ? (answer[..^2], null)
            : (null, answer.Length >= 2 ? $"APDU 실패 (SW {answer[^2]:X2} {answer[^1]:X2})." : "APDU 응답이 너무 짧습니다.");
}
