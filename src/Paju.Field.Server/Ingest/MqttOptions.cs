using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Ingest;

/// <summary>The "Paju:Mqtt" section: the embedded broker, or the external broker `paju ingest` reads.</summary>
public sealed class MqttOptions : IPajuOptions, IValidatableObject
{
    public static string Section => "Paju:Mqtt";

    /// <summary>Run the MQTTnet broker inside the server (the default). False when devices talk to mosquitto/EMQX and `paju ingest` workers read it.</summary>
    public bool Embedded { get; set; } = true;

    /// <summary>HOST:PORT the embedded broker listens on, or the external broker `paju ingest` connects to.</summary>
    public string Endpoint { get; set; } = "127.0.0.1:1883";

    /// <summary>The ingest account on an external broker (paju device add … --role ingest).</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>MQTT 5 shared-subscription group of the ingest workers.</summary>
    public string ShareGroup { get; set; } = "paju-ingest";

    /// <summary>
    /// "shared" (default): workers split the load on $share/{ShareGroup}/…. "exclusive": one worker on a
    /// plain persistent subscription. mosquitto 2.0 does not restore shared subscriptions from its
    /// persistence file after a restart, so it drops what devices publish before the workers are back;
    /// a plain subscription is restored and queues it. Use exclusive with a single mosquitto,
    /// shared with a clustered broker (EMQX, HiveMQ, VerneMQ) or where a broker restart is coordinated.
    /// </summary>
    public string Subscription { get; set; } = "shared";

    public string TopicFilter => Subscription == "exclusive"
        ? TelemetryTopic.AllFilter
        : $"$share/{ShareGroup}/{TelemetryTopic.AllFilter}";

    public (string Host, int Port) HostAndPort()
    {
        if (!BrokerEndpoint.TryParse(Endpoint, out var host, out var port))
        {
            throw new PajuSetupException($"Paju:Mqtt:Endpoint must be HOST:PORT, e.g. 127.0.0.1:1883; got '{Endpoint}'.");
        }
        return (host, port);
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!BrokerEndpoint.TryParse(Endpoint, out _, out _))
        {
            yield return new ValidationResult($"Endpoint must be HOST:PORT, e.g. 127.0.0.1:1883; got '{Endpoint}'.", [nameof(Endpoint)]);
        }
        if (Subscription is not ("shared" or "exclusive"))
        {
            yield return new ValidationResult($"Subscription must be 'shared' or 'exclusive', not '{Subscription}'.", [nameof(Subscription)]);
        }
    }
}
