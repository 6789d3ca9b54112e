using Paju.Field.Bridge.Readers;

namespace Paju.Field.Tests.Bridge;

/// <summary>The fixed readers' codecs on the reference vectors: PN532 frames (split anywhere, with noise), its replies, the
/// NDEF URL of Type 2 and Type 4 tags, and a line scanner's lines with every way a line can be wrong.</summary>
public sealed class ReaderCodecTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Theory]
    [InlineData("02", "00 00 FF 02 FE D4 02 2A 00")]                                        // GetFirmwareVersion
    [InlineData("14 01 14 01", "00 00 FF 05 FB D4 14 01 14 01 02 00")]                       // SAMConfiguration
    [InlineData("4A 01 00", "00 00 FF 04 FC D4 4A 01 00 E1 00")]                            // InListPassiveTarget
    [InlineData("40 01 30 04", "00 00 FF 05 FB D4 40 01 30 04 B7 00")]                      // READ page 4
    [InlineData("40 01 00 A4 04 00 07 D2 76 00 00 85 01 01 00", "00 00 FF 10 F0 D4 40 01 00 A4 04 00 07 D2 76 00 00 85 01 01 00 6D 00")]
    [InlineData("40 01 00 B0 00 00 02", "00 00 FF 08 F8 D4 40 01 00 B0 00 00 02 39 00")]   // ReadBinary NLEN
    public void Host_frames_match_the_manual(string command, string frame)
    {
        Assert.Equal(Hex(frame), Pn532FrameDecoder.Encode(Hex(command)));
    }

    [Fact]
    public void Replies_are_read_however_the_UART_splits_them_and_noise_is_counted_not_returned()
    {
        var wire = Hex("55 55 00 00 00" + "00 00 FF 00 FF 00" + "13 37" + "00 00 FF 06 FA D5 03 32 01 06 07 E8 00");
        for (var split = 1; split < wire.Length; split++)
        {
            var decoder = new Pn532FrameDecoder();
            var frames = decoder.Push(wire.AsSpan(0, split));
            frames.AddRange(decoder.Push(wire.AsSpan(split)));
            Assert.Equal([Pn532FrameKind.Ack, Pn532FrameKind.Information], frames.Select(f => f.Kind));
            Assert.Equal((byte)0x32, Pn532Commands.FirmwareOf(frames[1].Data)!.Value.Ic);
            Assert.InRange(decoder.Problems.GetValueOrDefault(Pn532FrameProblem.Garbage), 1, 2);   // one run of noise, seen in one or two pieces
            Assert.Equal(0, decoder.Pending);
        }
    }

    [Fact]
    public void Nack_error_frames_and_bad_checksums_are_told_apart()
    {
        var decoder = new Pn532FrameDecoder();
        Assert.Equal(Pn532FrameKind.Nack, Assert.Single(decoder.Push(Hex("00 00 FF FF 00 00"))).Kind);
        Assert.Equal(Pn532FrameKind.Error, Assert.Single(decoder.Push(Hex("00 00 FF 01 FF 7F 81 00"))).Kind);
        Assert.Empty(decoder.Push(Hex("00 00 FF 06 FB D5 03 32 01 06 07 E8 00")));   // LCS wrong
        Assert.Equal(1, decoder.Problems[Pn532FrameProblem.LengthChecksum]);
        Assert.Empty(decoder.Push(Hex("00 00 FF 06 FA D5 03 32 01 06 07 E9 00")));   // DCS wrong
        Assert.Equal(1, decoder.Problems[Pn532FrameProblem.DataChecksum]);
        Assert.Empty(decoder.Push(Hex("00 00 FF 02 FE D4 02 2A 00")));               // our own request echoed
        Assert.Equal(1, decoder.Problems[Pn532FrameProblem.WrongDirection]);
        // After all that, a good reply still comes through.
        Assert.Equal(Pn532FrameKind.Information, Assert.Single(decoder.Push(Hex("00 00 FF 02 FE D5 15 16 00"))).Kind);
    }

    [Fact]
    public void A_type_2_tag_and_a_type_4_tag_and_no_tag_are_read_from_InListPassiveTarget()
    {
        var decoder = new Pn532FrameDecoder();
        var ntag = Pn532Commands.TargetOf(Assert.Single(decoder.Push(Hex("00 00 FF 0F F1 D5 4B 01 01 00 44 00 07 04 DE 5F 1E AC C0 40 88 00"))).Data);
        Assert.Equal("04DE5F1EACC040", ntag.Target!.UidHex);
        Assert.False(ntag.Target.IsType4);
        var dna = Pn532Commands.TargetOf(Assert.Single(decoder.Push(Hex("00 00 FF 15 EB D5 4B 01 01 03 44 20 07 04 95 8C AA 5C 5E 80 06 77 77 71 02 80 80 00"))).Data);
        Assert.Equal("04958CAA5C5E80", dna.Target!.UidHex);
        Assert.True(dna.Target.IsType4);
        Assert.Equal(Hex("06 77 77 71 02 80"), dna.Target.Ats);
        var none = Pn532Commands.TargetOf(Assert.Single(decoder.Push(Hex("00 00 FF 03 FD D5 4B 00 E0 00"))).Data);
        Assert.Null(none.Target);
        Assert.Null(none.Problem);
    }

    [Fact]
    public void The_URL_of_a_type_2_tag_is_read_from_its_TLV_and_its_length_is_known_from_the_first_read()
    {
        var area = Hex("03 1C D1 01 18 55 04 73 61 66 65 74 79 2E 70 61 6A 75 2E 67 6F 2E 6B 72 2F 74 2F 50 47 31 FE 00");
        Assert.Null(NdefUri.Type2BytesNeeded(area[..1]));
        Assert.Equal(30, NdefUri.Type2BytesNeeded(area[..16]));   // one READ (16 bytes) says how many pages to read
        Assert.Equal(("https://safety.paju.go.kr/t/PG1", (string?)null), NdefUri.FromType2(area));
        var (url, problem) = NdefUri.FromType2(area[..20]);       // the card taken away mid-read
        Assert.Null(url);
        Assert.Contains("잘렸습니다", problem);
        Assert.Contains("빈 태그", NdefUri.FromType2(Hex("FE 00 00 00")).Problem);
    }

    [Fact]
    public void The_URL_of_a_type_4_tag_comes_from_its_NDEF_file_with_the_SUN_parameters_untouched()
    {
        const string sun = "https://safety.paju.go.kr/t/PG1?picc_data=EF963FF7828658A599F3041510671E88&cmac=94EED9EE65337086";
        var record = System.Text.Encoding.ASCII.GetBytes(sun["https://".Length..]);
        byte[] message = [0xD1, 0x01, (byte)(record.Length + 1), 0x55, 0x04, .. record];
        byte[] file = [(byte)(message.Length >> 8), (byte)message.Length, .. message];
        Assert.Equal((sun, (string?)null), NdefUri.FromType4(file));
        Assert.Contains("잘렸습니다", NdefUri.FromType4(file[..^3]).Problem);
        Assert.Equal(Hex("00 1C"), Pn532Commands.ApduOf(Hex("00 1C 90 00")).Data);   // NLEN read back
        Assert.Contains("6A 82", Pn532Commands.ApduOf(Hex("6A 82")).Problem);
        Assert.Contains("시간 초과", Pn532Commands.ExchangeOf(Hex("41 01")).Problem);
    }

    [Fact]
    public void A_line_scanner_gives_scans_only_for_whole_clean_lines()
    {
        var scanner = new LineScannerFramer(LineTerminator.Cr, prefix: "]Q1", maxLength: 64);
        var text = System.Text.Encoding.UTF8;
        var scans = new List<string>();
        scans.AddRange(scanner.Push(text.GetBytes("]Q1https://safety.paju.go.kr/t/PG1\r\n")));   // CR LF on a CR line: one scan
        scans.AddRange(scanner.Push(text.GetBytes("]Q1https://safety.paj")));                    // split mid-line …
        scans.AddRange(scanner.Push(text.GetBytes("u.go.kr/t/PG2\r")));                           // … and finished
        scans.AddRange(scanner.Push(text.GetBytes("no prefix\r")));                               // garbage: no prefix
        scans.AddRange(scanner.Push([0x5D, 0x51, 0x31, 0xC3, 0x28, 0x0D]));                        // not UTF-8
        scans.AddRange(scanner.Push(text.GetBytes("]Q1" + new string('x', 80) + "\r")));           // over-long
        scans.AddRange(scanner.Push(text.GetBytes("]Q1abc\u0007def\r")));                          // a control character
        scans.AddRange(scanner.Push(text.GetBytes("]Q1https://safety.paju.go.kr/t/PG3")));       // never finished …
        scanner.Idle();                                                                           // … the line went quiet
        scans.AddRange(scanner.Push(text.GetBytes("]Q1파주 놀이터\r")));                             // Korean is fine
        Assert.Equal(["https://safety.paju.go.kr/t/PG1", "https://safety.paju.go.kr/t/PG2", "파주 놀이터"], scans);
        Assert.Equal(2, scanner.Problems[LineProblem.Garbage]);
        Assert.Equal(1, scanner.Problems[LineProblem.NotUtf8]);
        Assert.Equal(1, scanner.Problems[LineProblem.Overlong]);
        Assert.Equal(1, scanner.Problems[LineProblem.Partial]);
        Assert.False(scanner.HasPartial);
    }

    [Theory]
    [InlineData(LineTerminator.Lf, "A1\nB2\r\n", new[] { "A1", "B2" })]
    [InlineData(LineTerminator.CrLf, "A1\r\nB2\r\n", new[] { "A1", "B2" })]
    [InlineData(LineTerminator.Cr, "A1\rB2\r", new[] { "A1", "B2" })]
    public void Each_terminator_ends_a_scan(LineTerminator terminator, string wire, string[] expected)
    {
        Assert.Equal(expected, new LineScannerFramer(terminator).Push(System.Text.Encoding.ASCII.GetBytes(wire)));
    }
}
