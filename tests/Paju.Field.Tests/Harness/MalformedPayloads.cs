using System.Text;
using Paju.Field.Telemetry;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// Payloads no channel may accept, made from a seed so a failure can be replayed: random bytes, cut and
/// doubled JSON, NUL characters, unpaired surrogates, numbers beyond float8, 10,000-deep nesting, wrong
/// types and oversized messages — each built from a valid message of its channel, so it fails for
/// exactly the reason it was made for.
/// </summary>
public static class MalformedPayloads
{
    public const int OversizeBytes = 70_000;   // over the 64 KiB limit

    public static List<byte[]> For(string channel, string device, int count, int seed)
    {
        var random = new Random(seed);
        var valid = Valid(channel, device);
        var kinds = Kinds(channel, device, valid);
        var payloads = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            payloads.Add(kinds[i % kinds.Count](random));
        }
        return payloads;
    }

    public static string Valid(string channel, string device) => channel switch
    {
        TelemetryTopic.Status => new DeviceStatus(device, true, 1_700_000_000).ToJson(),
        TelemetryTopic.Checkin => new CheckIn(device, 1_700_000_000, 1, DateTimeOffset.UtcNow, "04A2241A6D5E80", "https://safety.paju.go.kr/t/PG-0001?s=AB",
            "door-reader", "inspector1", new CheckInPosition(37.76, 126.78, 8), false).ToJson(),
        _ => new TelemetryReading(device, 1_700_000_000, 1, DateTimeOffset.UtcNow, false,
            new Dictionary<string, double> { ["basin_level_m"] = 2.5 }, new Dictionary<string, bool> { ["pump1_running"] = true }).ToJson(),
    };

    private static List<Func<Random, byte[]>> Kinds(string channel, string device, string valid)
    {
        byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        var kinds = new List<Func<Random, byte[]>>
        {
            r => RandomBytes(r),
            r => Utf8(valid[..r.Next(0, valid.Length - 1)]),                         // cut short (never the whole object)
            _ => Utf8(valid + valid),                                                // two objects back to back
            _ => Utf8(valid.Replace($"\"device\":\"{device}\"", $"\"device\":\"{device}\\u0000\"")),
            _ => Utf8(valid.Replace($"\"device\":\"{device}\"", "\"device\":\"\\ud800\"")),
            _ => Utf8(valid.Replace("{", "{\"\\udc00\":1,", StringComparison.Ordinal)),   // an unpaired surrogate as a name
            _ => Utf8("{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}"),
            _ => Utf8("[" + valid + "]"),                                            // not an object
            _ => Utf8("null"),
            _ => [],                                                                 // empty
            r => Oversize(r, valid),
        };
        switch (channel)
        {
            case TelemetryTopic.Status:
                kinds.Add(_ => Utf8(valid.Replace("\"online\":true", "\"online\":\"yes\"")));
                kinds.Add(_ => Utf8(valid.Replace("\"online\":true", "\"online\":1e400")));
                kinds.Add(_ => Utf8(valid.Replace("\"boot\":1700000000", "\"boot\":\"\\u0000\"")));
                kinds.Add(_ => Utf8(valid.Replace("\"online\":true,", "")));
                kinds.Add(_ => Utf8(valid.Replace("\"boot\":1700000000", "\"boot\":-1")));
                break;
            case TelemetryTopic.Checkin:
                kinds.Add(_ => Utf8(valid.Replace("\"uid\":\"04A2241A6D5E80\"", "\"uid\":\"04A2\\u0000\"")));
                kinds.Add(_ => Utf8(valid.Replace("\"uid\":\"04A2241A6D5E80\"", "\"uid\":\"not-hex\"")));
                kinds.Add(_ => Utf8(valid.Replace("\"uid\":\"04A2241A6D5E80\",", "").Replace("\"url\":\"https://safety.paju.go.kr/t/PG-0001?s=AB\",", "")));
                kinds.Add(_ => Utf8(valid.Replace("https://safety.paju.go.kr/t/PG-0001?s=AB", "javascript:alert(1)")));
                kinds.Add(_ => Utf8(valid.Replace("\"lat\":37.76", "\"lat\":1e400")));
                kinds.Add(_ => Utf8(valid.Replace("\"lat\":37.76", "\"lat\":95")));
                kinds.Add(_ => Utf8(valid.Replace("\"operator\":\"inspector1\"", "\"operator\":\"\\ud83d\"")));
                kinds.Add(_ => Utf8(valid.Replace("\"seq\":1", "\"seq\":\"1\"")));
                kinds.Add(_ => Utf8(valid.Replace("\"reader\":\"door-reader\"", "\"reader\":\"Door Reader!\"")));
                break;
            default:
                kinds.Add(_ => Utf8(valid.Replace("\"basin_level_m\":2.5", "\"basin_level_m\":1e400")));
                kinds.Add(_ => Utf8(valid.Replace("\"basin_level_m\":2.5", "\"basin_level_m\":\"2.5\"")));
                kinds.Add(_ => Utf8(valid.Replace("\"basin_level_m\":2.5", "\"basin_level_m\\u0000\":2.5")));
                kinds.Add(_ => Utf8(valid.Replace("\"boot\":1700000000", "\"boot\":1e400")));
                kinds.Add(_ => Utf8(valid.Replace("\"ts\":\"", "\"ts\":\"\\ud800")));
                kinds.Add(_ => Utf8(valid.Replace("\"basin_level_m\":2.5", "\"basin_level_m\":250")));      // out of range
                kinds.Add(_ => Utf8(valid.Replace("\"metrics\":{", "\"metrics\":[{").Replace("}}", "}]}")));
                break;
        }
        return kinds;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 200)];
        random.NextBytes(bytes);
        bytes[0] = (byte)random.Next(0x80, 0x100);   // never a JSON value's first character
        return bytes;
    }

    private static byte[] Oversize(Random random, string valid)
    {
        // A valid-looking object padded past the limit with a long unknown field.
        var padding = new string('x', OversizeBytes);
        return Encoding.UTF8.GetBytes(valid.Insert(1, $"\"pad{random.Next(1000)}\":\"{padding}\","));
    }
}
