using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Paju.Field.Telemetry;

/// <summary>
/// One telemetry message of contract v1. (Device, Boot, Seq) identifies it: a redelivered or
/// replayed copy has the same three and is stored once.
/// </summary>
public sealed record TelemetryReading(
    string Device,
    long Boot,
    long Seq,
    DateTimeOffset Timestamp,
    bool Historical,
    IReadOnlyDictionary<string, double> Numbers,
    IReadOnlyDictionary<string, bool> Flags)
{
    public const int Version = 1;
    public const int MaxMetrics = 100;

    /// <summary>The metrics as one JSON object, as stored: numbers, then states.</summary>
    public string MetricsJson()
    {
        // Written directly rather than serialised from a dictionary of boxed values: this runs for every reading stored.
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in Numbers)
            {
                json.WriteNumber(name, value);
            }
            foreach (var (name, value) in Flags)
            {
                json.WriteBoolean(name, value);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["v"] = Version,
        ["device"] = Device,
        ["boot"] = Boot,
        ["seq"] = Seq,
        ["ts"] = Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        ["historical"] = Historical,
        ["metrics"] = Numbers.ToDictionary(n => n.Key, n => (object)n.Value).Concat(Flags.Select(f => KeyValuePair.Create(f.Key, (object)f.Value))).ToDictionary(),
    });

    /// <summary>Reads and checks a payload. A refusal names its reason code (see <see cref="RejectReason"/>) and a sentence.</summary>
    public static (TelemetryReading? Reading, RejectReason? Code, string? Reason) Parse(ReadOnlySpan<byte> payload, string topicDevice)
    {
        try
        {
            return ParseChecked(payload, topicDevice);
        }
        catch (InvalidOperationException)
        {
            // A property name with an unpaired surrogate: System.Text.Json refuses to turn it into a string.
            return Fail(RejectReason.MalformedJson, "payload contains a name or text that is not valid UTF-16 (an unpaired surrogate)");
        }
    }

    private static (TelemetryReading? Reading, RejectReason? Code, string? Reason) ParseChecked(ReadOnlySpan<byte> payload, string topicDevice)
    {
        var document = PayloadJson.ParseObject(payload, out var notJson);
        if (document is null)
        {
            return Fail(RejectReason.MalformedJson, notJson!);
        }
        using (document)
        {
            var root = document.RootElement;
            var (key, keyCode, keyProblem) = MessageKey.Read(root, topicDevice);
            if (key is not { } k)
            {
                return Fail(keyCode!.Value, keyProblem!);
            }
            var historical = false;
            if (root.TryGetProperty("historical", out var h))
            {
                if (h.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return Fail(RejectReason.WrongType, "\"historical\" must be true or false");
                }
                historical = h.GetBoolean();
            }
            if (!root.TryGetProperty("metrics", out var metrics) || metrics.ValueKind != JsonValueKind.Object)
            {
                return Fail(RejectReason.WrongType, "\"metrics\" must be an object of name → value");
            }

            var numbers = new Dictionary<string, double>(Math.Min(metrics.GetPropertyCount(), MaxMetrics));
            var flags = new Dictionary<string, bool>();
            foreach (var metric in metrics.EnumerateObject())
            {
                if (numbers.Count + flags.Count == MaxMetrics)
                {
                    return Fail(RejectReason.WrongType, $"more than {MaxMetrics} metrics in one message");
                }
                var name = metric.Name;
                if (!MetricUnits.IsValidName(name))
                {
                    return Fail(RejectReason.UnknownMetric, $"metric name '{name}' is not lower-case snake case");
                }
                if (MetricUnits.IsBoolean(name))
                {
                    if (metric.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return Fail(RejectReason.WrongType, $"metric '{name}' is a state and must be true or false");
                    }
                    flags[name] = metric.Value.GetBoolean();
                    continue;
                }
                var unit = MetricUnits.NumericUnitOf(name);
                if (unit is null)
                {
                    return Fail(RejectReason.UnknownMetric, $"metric '{name}' has no unit suffix (e.g. _m, _m3_per_h, _a) or state suffix (e.g. _running)");
                }
                if (!PayloadJson.TryGetFinite(metric.Value, out var value))
                {
                    return Fail(RejectReason.WrongType, $"metric '{name}' must be a number in {unit.Symbol}");
                }
                if (!unit.Accepts(value))
                {
                    return Fail(RejectReason.OutOfRange, $"metric '{name}' = {value.ToString(CultureInfo.InvariantCulture)} {unit.Symbol} is outside the physical range {unit.Min}–{unit.Max} {unit.Symbol}");
                }
                numbers[name] = value;
            }
            if (numbers.Count + flags.Count == 0)
            {
                return Fail(RejectReason.WrongType, "\"metrics\" is empty");
            }
            return (new TelemetryReading(topicDevice, k.Boot, k.Seq, k.Timestamp, historical, numbers, flags), null, null);
        }
    }

    private static (TelemetryReading?, RejectReason?, string?) Fail(RejectReason code, string reason) => (null, code, reason);
}

/// <summary>Why a message was dead-lettered. The names are stored and shown to operators.</summary>
public enum RejectReason
{
    MalformedJson,
    WrongType,
    UnknownMetric,
    OutOfRange,
    DeviceMismatch,
    UnknownDevice,
    TopicNotAllowed,
    BadTopic,
    TimestampOutOfBounds,
    PayloadTooLarge,

    /// <summary>Understood, but PostgreSQL refused it for good (a constraint, a value it cannot hold): the reason is the database's message.</summary>
    DatabaseRefused,
}
