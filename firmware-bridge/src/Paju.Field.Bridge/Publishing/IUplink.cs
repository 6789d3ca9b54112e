using MQTTnet;

namespace Paju.Field.Bridge.Publishing;

/// <summary>
/// Where one device's readings go and how that end wants them: the city's broker (PROTOCOL.md) or
/// Azure IoT Hub. The publisher's queueing, replay and acknowledgement are the same for both.
/// </summary>
public interface IUplink
{
    /// <summary>Short name: the queue's sub-directory and the status file's label.</summary>
    string Name { get; }

    string Endpoint { get; }

    /// <summary>Connection options for a (re)connect at <paramref name="now"/>; credentials are read here, so a rotated secret is picked up.</summary>
    MqttClientOptions ConnectOptions(DateTimeOffset now);

    /// <summary>When the connection must be renewed (a token expiring), or null.</summary>
    DateTimeOffset? RenewAt { get; }

    /// <summary>Sent once connected (the retained birth), or null.</summary>
    MqttApplicationMessage? Birth();

    /// <summary>Sent before a clean disconnect (offline), or null.</summary>
    MqttApplicationMessage? Goodbye();

    /// <summary>The message for one reading, or a reason it can never be sent (too large).</summary>
    (MqttApplicationMessage? Message, string? Refusal) Reading(string channel, byte[] json);
}
