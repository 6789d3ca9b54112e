using System.Text.Json;
using System.Text.Json.Serialization;
using Paju.Field.Modbus;

namespace Paju.Field.Bridge.Config;

/// <summary>
/// One gateway's configuration (JSON with comments): the broker, the serial lines with their slaves,
/// and the register map of each controller model. See firmware-bridge/config/ulgok.sample.json.
/// </summary>
public sealed record BridgeConfig
{
    public MqttSettings Mqtt { get; init; } = new();

    /// <summary>Where the running bridge writes its state for `paju-bridge status`.</summary>
    public string StatusFile { get; init; } = "/var/lib/paju-bridge/status.json";

    /// <summary>Store-and-forward: where readings wait for their acknowledgement, and how long.</summary>
    public QueueSettings Queue { get; init; } = new();

    /// <summary>An optional second uplink, Azure IoT Hub; null sends to the broker only.</summary>
    public IotHubSettings? IotHub { get; init; }

    public IReadOnlyList<LineConfig> Lines { get; init; } = [];

    /// <summary>Fixed NFC and QR readers on their own serial lines: their reads are check-ins.</summary>
    public IReadOnlyList<ReaderConfig> Readers { get; init; } = [];

    public IReadOnlyDictionary<string, RegisterMap> Models { get; init; } = new Dictionary<string, RegisterMap>();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,   // "model": null is a reported error, not a crash later
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        WriteIndented = true,
    };

    /// <summary>Reads a file; a syntax error or an unknown key is reported with its line and position.</summary>
    public static BridgeConfig Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<BridgeConfig>(File.ReadAllText(path), Json)
                ?? throw new ConfigException($"{path}: the file is empty (null)");
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path}: {e.Message}");
        }
    }
}

public sealed class ConfigException(string message) : Exception(message);

public sealed record MqttSettings
{
    /// <summary>HOST:PORT of the broker the devices' readings go to.</summary>
    public string Endpoint { get; init; } = "127.0.0.1:1883";

    /// <summary>TLS to the broker (port 8883 by convention).</summary>
    public bool Tls { get; init; }
}

public sealed record LineConfig
{
    public required string Name { get; init; }

    public required SerialSettings Serial { get; init; }

    /// <summary>How long to wait for a reply once the request has left the wire.</summary>
    public int ResponseTimeoutMs { get; init; } = 300;

    /// <summary>Further attempts after a line fault (timeout, CRC, garbage); exception replies are not retried.</summary>
    public int Retries { get; init; } = 2;

    public int PollIntervalMs { get; init; } = 1000;

    /// <summary>The controllers' reply delay the line budget assumes (datasheet value; 10 ms is typical).</summary>
    public int TurnaroundMs { get; init; } = 10;

    public IReadOnlyList<SlaveConfig> Slaves { get; init; } = [];
}

public sealed record SlaveConfig
{
    /// <summary>Modbus slave id, 1–247.</summary>
    public int Id { get; init; }

    /// <summary>Key into <see cref="BridgeConfig.Models"/>.</summary>
    public required string Model { get; init; }

    public required string Site { get; init; }

    /// <summary>The device id (MQTT username and client id) registered with `paju device add`.</summary>
    public required string Device { get; init; }

    /// <summary>A file holding the device secret (preferred: keep secrets out of the config).</summary>
    public string? SecretFile { get; init; }

    /// <summary>The device secret inline (tests, demos).</summary>
    public string? Secret { get; init; }

    public string ReadSecret() => Secret ?? File.ReadAllText(SecretFile!).Trim();
}
