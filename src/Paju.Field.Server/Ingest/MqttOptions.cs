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
    /// How `paju ingest` workers divide the broker's messages:
    /// "shared" (default): on $share/{ShareGroup}/… — for brokers that keep shared subscriptions across a
    /// restart (EMQX 5, HiveMQ). mosquitto 2.0 does not restore them from its persistence file, so it drops
    /// what devices publish before the workers are back.
    /// "exclusive": one worker on a plain persistent subscription, which mosquitto restores and queues for.
    /// "partitioned": N workers, each a persistent session subscribed to its own sites (one plain
    /// subscription per site), so it scales on a single mosquitto and survives its restarts. A worker's
    /// sites are <see cref="Sites"/>, or every registered site whose stable hash falls in <see cref="Partition"/>.
    /// </summary>
    public string Subscription { get; set; } = "shared";

    /// <summary>"K/N": this worker takes partition K (1…N) of the sites, by a stable hash of the site id. For "partitioned".</summary>
    public string? Partition { get; set; }

    /// <summary>The sites this worker takes, declared instead of <see cref="Partition"/>. For "partitioned".</summary>
    public string[] Sites { get; set; } = [];

    public string TopicFilter => Subscription == "exclusive"
        ? TelemetryTopic.AllFilter
        : $"$share/{ShareGroup}/{TelemetryTopic.AllFilter}";

    /// <summary>Whether this worker takes a site, in partitioned mode.</summary>
    public bool Owns(string site) => Sites.Length > 0
        ? Sites.Contains(site, StringComparer.Ordinal)
        : SitePartition.TryParse(Partition, out var k, out var n) && SitePartition.Of(site, n) == k;

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
        if (Subscription is not ("shared" or "exclusive" or "partitioned"))
        {
            yield return new ValidationResult($"Subscription must be 'shared', 'exclusive' or 'partitioned', not '{Subscription}'.", [nameof(Subscription)]);
        }
        if (Subscription == "partitioned" && (Sites.Length > 0) == (Partition is not null))
        {
            yield return new ValidationResult("Subscription 'partitioned' needs either Partition (K/N, e.g. 1/2) or Sites (a list of site ids), not both.", [nameof(Partition)]);
        }
        if (Partition is not null && !SitePartition.TryParse(Partition, out _, out _))
        {
            yield return new ValidationResult($"Partition must be K/N with 1 ≤ K ≤ N ≤ 1024, e.g. 1/2; got '{Partition}'.", [nameof(Partition)]);
        }
        foreach (var site in Sites.Where(s => !TelemetryTopic.IsId(s)))
        {
            yield return new ValidationResult($"Sites has '{site}', which is not a site id ([a-z0-9._-]{{1,64}}).", [nameof(Sites)]);
        }
    }
}
