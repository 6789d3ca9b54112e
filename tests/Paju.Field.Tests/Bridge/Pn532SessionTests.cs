using Paju.Field.Bridge.Readers;
using Paju.Field.Modbus;
using Paju.Field.Tags;
using Paju.Field.Server.Simulation;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// A PN532 reader over a real tty (socat pty pair) talking to a simulated PN532: wake-up and configuration, a Type 2 tag's
/// URL, a Type 4 tag's SUN URL fresh on every read, no tag, and the wire's faults — a NACK, a corrupted answer, an error
/// frame, silence, a card taken away mid-read — each either recovered or said in words.
/// </summary>
public sealed class Pn532SessionTests : IDisposable
{
    private readonly SocatPtyPair _pair = SerialPairs.Start("pn532");
    private readonly SimulatedPn532 _chip;
    private readonly SerialLine _line;
    private readonly Pn532Session _session;

    public Pn532SessionTests()
    {
        _chip = new SimulatedPn532(_pair.B);
        _line = new SerialLine(new SerialSettings { Port = _pair.A, Baud = 115200, Parity = System.IO.Ports.Parity.None });
        _session = new Pn532Session(_line, answerTimeout: TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void It_wakes_the_chip_and_reads_a_type_2_tags_URL_and_sees_an_empty_field()
    {
        Assert.Equal((byte)0x32, _session.Start().Ic);
        Assert.Null(_session.Poll());
        _chip.InField = new SimulatedPn532.Tag(Convert.FromHexString("04DE5F1EACC040"), false,
            () => SimulatedPn532.Type2Memory("https://safety.paju.go.kr/t/PG1"));
        Assert.Equal(new TagRead("04DE5F1EACC040", "https://safety.paju.go.kr/t/PG1", null), _session.Poll());
    }

    [Fact]
    public void A_type_4_tags_SUN_URL_is_fresh_on_every_read_and_reaches_the_caller_untouched()
    {
        var meta = Convert.FromHexString("00000000000000000000000000000000");
        var file = Convert.FromHexString("00000000000000000000000000000000");
        var tag = new SunTagEmulator("https://safety.paju.go.kr", "PG-S000001", meta, file, "04958CAA5C5E80");
        var issued = new List<string>();
        _chip.InField = new SimulatedPn532.Tag(Convert.FromHexString("04958CAA5C5E80"), true, () =>
        {
            var url = tag.Tap();
            issued.Add(url);
            return SimulatedPn532.Type4File(url);
        });
        _session.Start();
        var first = _session.Poll()!;
        var second = _session.Poll()!;
        Assert.Equal("04958CAA5C5E80", first.UidHex);
        Assert.Equal(issued, [first.Url!, second.Url!]);
        Assert.NotEqual(first.Url, second.Url);   // the counter moved: a replay would be caught by the server
        Assert.True(first.Url!.Length > 48, "the URL spans more than one ReadBinary");
    }

    [Fact]
    public void A_NACK_is_resent_and_a_corrupted_answer_or_an_error_frame_or_silence_is_said()
    {
        _session.Start();
        _chip.NackNext = 1;
        Assert.Null(_session.Poll());   // resent after the NACK
        Assert.Equal(1, _session.Nacks);
        _chip.CorruptNext = 1;
        Assert.Contains("응답이", Assert.Throws<Pn532Exception>(() => _session.Poll()).Message);
        Assert.Equal(1, _session.FrameProblems[Pn532FrameProblem.DataChecksum]);
        _chip.ErrorNext = 1;
        Assert.Contains("오류 프레임", Assert.Throws<Pn532Exception>(() => _session.Poll()).Message);
        _chip.SilentNext = 1;
        Assert.Contains("ACK 가 없습니다", Assert.Throws<Pn532Exception>(() => _session.Poll()).Message);
        _chip.NackNext = 5;
        Assert.Contains("NACK", Assert.Throws<Pn532Exception>(() => _session.Poll()).Message);
        _chip.NackNext = 0;
        Assert.Null(_session.Poll());   // and the reader goes on
    }

    [Fact]
    public void A_card_taken_away_mid_read_gives_its_UID_and_the_reason_not_half_a_URL()
    {
        _session.Start();
        _chip.InField = new SimulatedPn532.Tag(Convert.FromHexString("04DE5F1EACC040"), false,
            () => SimulatedPn532.Type2Memory("https://safety.paju.go.kr/t/PG-S000002?n=" + new string('7', 40)));
        _chip.RemoveAfterExchanges = 1;   // the first READ answers, the second finds the tag gone
        var read = _session.Poll()!;
        Assert.Equal("04DE5F1EACC040", read.UidHex);
        Assert.Null(read.Url);
        Assert.Contains("뗐을 수", read.Problem);
        Assert.True(read.Interrupted);
    }

    public void Dispose()
    {
        _line.Dispose();
        _chip.Dispose();
        _pair.Dispose();
    }
}
