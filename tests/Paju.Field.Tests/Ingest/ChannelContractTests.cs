using System.Text;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Ingest;

/// <summary>
/// Every channel's payload is decoded into its contract before anything reaches SQL, and refused with a
/// reason where JSON allows what PostgreSQL does not: NUL, unpaired surrogates, numbers beyond float8,
/// deep nesting.
/// </summary>
public sealed class ChannelContractTests
{
    private const string Device = "door-reader-1";

    // The size limit is the pipeline's (Paju:Ingest:MaxPayloadBytes), checked before any parsing.
    private static RejectReason? Refusal(string channel, byte[] payload) => payload.Length > 64 * 1024 ? RejectReason.PayloadTooLarge : channel switch
    {
        TelemetryTopic.Status => DeviceStatus.Parse(payload, Device).Code,
        TelemetryTopic.Checkin => CheckIn.Parse(payload, Device).Code,
        _ => TelemetryReading.Parse(payload, Device).Code,
    };

    [Theory]
    [InlineData(TelemetryTopic.Telemetry)]
    [InlineData(TelemetryTopic.State)]
    [InlineData(TelemetryTopic.Status)]
    [InlineData(TelemetryTopic.Checkin)]
    public void Every_generated_malformed_payload_is_refused_and_the_valid_one_is_accepted(string channel)
    {
        Assert.Null(Refusal(channel, Encoding.UTF8.GetBytes(MalformedPayloads.Valid(channel, Device))));
        var refused = MalformedPayloads.For(channel, Device, 300, seed: 17).Select((p, i) => (i, Refusal(channel, p))).ToList();
        Assert.All(refused, r => Assert.True(r.Item2 is not null, $"payload #{r.i} of {channel} was accepted"));
    }

    [Theory]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","uid":"04\u0000"}""", "NUL")]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","uid":"04A2241A6D5E80","note":"\ud800"}""", "surrogate")]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","uid":"04A2241A6D5E80","\udfff":1}""", "surrogate")]
    public void Text_no_column_can_hold_is_refused_even_in_fields_the_contract_ignores(string payload, string said)
    {
        var (checkIn, code, reason) = CheckIn.Parse(Encoding.UTF8.GetBytes(payload), Device);
        Assert.Null(checkIn);
        Assert.Equal(RejectReason.MalformedJson, code);
        Assert.Contains(said, reason);
    }

    [Fact]
    public void A_number_beyond_float8_and_ten_thousand_levels_of_nesting_are_refused()
    {
        var huge = TelemetryReading.Parse(Encoding.UTF8.GetBytes(
            """{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","metrics":{"basin_level_m":1e400}}"""), Device);
        Assert.Equal(RejectReason.WrongType, huge.Code);
        var deep = TelemetryReading.Parse(Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}"), Device);
        Assert.Equal(RejectReason.MalformedJson, deep.Code);
    }

    [Fact]
    public void A_check_in_carries_the_tag_as_read_the_reader_the_person_and_where_they_stood()
    {
        var (checkIn, code, reason) = CheckIn.Parse(Encoding.UTF8.GetBytes("""
            {"v":1,"device":"door-reader-1","boot":1732400000,"seq":7,"ts":"2026-12-01T09:00:00+09:00",
             "uid":"04:a2:24:1a:6d:5e:80","url":"https://safety.paju.go.kr/t/PG-0001?picc_data=EF963FF7828658A599F3041510671E88&cmac=94EED9EE65337086",
             "reader":"ps1-door","operator":"inspector1","position":{"lat":37.7599,"lon":126.7802,"accuracy":8.5},"historical":true}
            """), Device);
        Assert.True(checkIn is not null, reason);
        Assert.Null(code);
        Assert.Equal("04A2241A6D5E80", checkIn.Uid);   // as a reader prints it, stored one way
        Assert.Equal("https://safety.paju.go.kr/t/PG-0001?picc_data=EF963FF7828658A599F3041510671E88&cmac=94EED9EE65337086", checkIn.Url);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), checkIn.Timestamp);
        Assert.Equal(new CheckInPosition(37.7599, 126.7802, 8.5), checkIn.Position);
        Assert.Equal(("ps1-door", "inspector1", true), (checkIn.Reader, checkIn.Operator, checkIn.Historical));
        Assert.Equal(checkIn, CheckIn.Parse(Encoding.UTF8.GetBytes(checkIn.ToJson()), Device).CheckIn);
    }

    [Theory]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z"}""", "needs the tag")]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","uid":"04A2"}""", "4, 7 or 10 bytes")]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","url":"ftp://x/y"}""", "http(s) URL")]
    [InlineData("""{"v":1,"device":"other","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","uid":"04A2241A"}""", "topic is for")]
    [InlineData("""{"v":1,"device":"door-reader-1","seq":1,"ts":"2026-12-01T00:00:00Z","uid":"04A2241A"}""", "boot")]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"yesterday","uid":"04A2241A"}""", "RFC 3339")]
    [InlineData("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","uid":"04A2241A","position":{"lat":37.7}}""", "position")]
    [InlineData("""{"device":"door-reader-1","tag":"04DE5F1EACC040"}""", "contract version")]
    public void A_check_in_that_breaks_the_contract_says_what_to_fix(string payload, string said)
    {
        var (checkIn, code, reason) = CheckIn.Parse(Encoding.UTF8.GetBytes(payload), Device);
        Assert.Null(checkIn);
        Assert.NotNull(code);
        Assert.Contains(said, reason);
    }

    [Fact]
    public void A_status_with_a_device_of_the_wrong_type_is_refused_not_thrown()
    {
        var (status, code, reason) = DeviceStatus.Parse("""{"online":true,"device":42}"""u8, Device);
        Assert.Null(status);
        Assert.Equal(RejectReason.WrongType, code);
        Assert.Contains("device", reason);
    }

    [Fact]
    public void Text_that_is_not_UTF_8_is_refused_though_nothing_in_it_is_escaped()
    {
        // A surrogate written straight into UTF-8 (ED A0 80), and a stray continuation byte: no backslash anywhere.
        foreach (var bad in new byte[][] { [0xED, 0xA0, 0x80], [0x80] })
        {
            var payload = Encoding.UTF8.GetBytes("""{"v":1,"device":"door-reader-1","boot":1,"seq":1,"ts":"2026-12-01T00:00:00Z","metrics":{"basin_level_m":1},"note":"x""")
                .Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
            var (reading, code, _) = TelemetryReading.Parse(payload, Device);
            Assert.Null(reading);
            Assert.Equal(RejectReason.MalformedJson, code);
        }
    }

    [Fact]
    public void The_stored_metrics_are_the_JSON_the_serialiser_writes_for_the_same_values()
    {
        // The metrics column keeps the form it has always had: numbers as System.Text.Json writes a double, then states.
        var numbers = new Dictionary<string, double> { ["basin_level_m"] = 3.42, ["inflow_m3_per_h"] = 12_500, ["rate_m_per_h"] = -0.1 + 0.3, ["tiny_m"] = 1e-7, ["big_m3"] = 9_999_999.999 };
        var flags = new Dictionary<string, bool> { ["pump1_running"] = true, ["pump1_fault"] = false };
        var reading = new TelemetryReading(Device, 1, 1, DateTimeOffset.UnixEpoch, false, numbers, flags);
        var expected = System.Text.Json.JsonSerializer.Serialize(
            numbers.Select(n => KeyValuePair.Create(n.Key, (object)n.Value)).Concat(flags.Select(f => KeyValuePair.Create(f.Key, (object)f.Value))).ToDictionary());
        Assert.Equal(expected, reading.MetricsJson());
    }
}
