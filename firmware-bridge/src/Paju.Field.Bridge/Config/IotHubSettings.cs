namespace Paju.Field.Bridge.Config;

/// <summary>
/// Azure IoT Hub as a second uplink, spoken as IoT Hub's MQTT 3.1.1 device protocol over TLS with
/// SAS tokens (the device SDK is not used). Only the devices listed here are sent to the hub.
/// </summary>
public sealed record IotHubSettings
{
    /// <summary>{hub}.azure-devices.net</summary>
    public required string HostName { get; init; }

    public int Port { get; init; } = 8883;

    /// <summary>A PEM file of extra trust roots (a private test hub); the system store is used otherwise.</summary>
    public string? CaFile { get; init; }

    /// <summary>Lifetime written into each SAS token; the bridge reconnects with a fresh one at 80% of it.</summary>
    public int TokenLifetimeSeconds { get; init; } = 3600;

    /// <summary>Device id → its symmetric key (from the hub's device registration).</summary>
    public IReadOnlyDictionary<string, IotHubDeviceKey> Devices { get; init; } = new Dictionary<string, IotHubDeviceKey>();
}

public sealed record IotHubDeviceKey
{
    /// <summary>A file holding the base64 primary key (preferred: keep keys out of the config).</summary>
    public string? KeyFile { get; init; }

    /// <summary>The base64 key inline (tests, demos).</summary>
    public string? Key { get; init; }

    public string ReadKey() => Key ?? File.ReadAllText(KeyFile!).Trim();
}
