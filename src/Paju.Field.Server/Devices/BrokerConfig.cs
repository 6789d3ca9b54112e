using System.Text;
using Paju.Field.Server.Ingest;

namespace Paju.Field.Server.Devices;

/// <summary>
/// Files for an external mosquitto: the password file (the $7$ hashes as stored) and an ACL in
/// which each device may publish only under its own site and id, and ingest accounts may read
/// everything under the root. Disabled devices are left out, so reloading mosquitto locks them out.
/// </summary>
public static class BrokerConfig
{
    public static string PasswordFile(IEnumerable<Device> devices)
    {
        var text = new StringBuilder();
        foreach (var d in devices.Where(d => !d.Disabled))
        {
            text.Append(d.DeviceId).Append(':').Append(d.SecretHash).Append('\n');
        }
        return text.ToString();
    }

    public static string AclFile(IEnumerable<Device> devices)
    {
        var text = new StringBuilder("# Written by paju broker config. Devices publish only under their own site and id.\n");
        foreach (var d in devices.Where(d => !d.Disabled))
        {
            text.Append('\n').Append("user ").Append(d.DeviceId).Append('\n');
            if (d.Role == DeviceStore.IngestRole)
            {
                text.Append("topic read ").Append(Paju.Field.Telemetry.TelemetryTopic.Root).Append("/#\n");
                text.Append("topic read $share/+/").Append(Paju.Field.Telemetry.TelemetryTopic.Root).Append("/#\n");
            }
            else
            {
                text.Append("topic write ").Append(Paju.Field.Telemetry.TelemetryTopic.Root).Append('/').Append(d.Site).Append('/').Append(d.DeviceId).Append("/#\n");
            }
        }
        return text.ToString();
    }

    /// <summary>The mosquitto.conf lines that matter for ingest: no anonymous clients, nothing dropped silently.</summary>
    public static string MosquittoConf(string directory, int port, bool persistence) => $"""
        # Written by paju broker config.
        listener {port} 127.0.0.1
        allow_anonymous false
        password_file {Path.Combine(directory, "passwords")}
        acl_file {Path.Combine(directory, "acl")}
        # mosquitto drops QoS 1 messages past 1000 queued per client unless told otherwise.
        max_queued_messages 0
        # Two ingest batches of the default size in flight to each ingest worker, one being written while the next fills
        # (a worker asks for twice its batch size as its MQTT 5 receive maximum).
        max_inflight_messages {2 * IngestOptions.DefaultBatchSize}
        persistence {(persistence ? "true" : "false")}
        persistence_location {directory}/
        autosave_interval 1
        """;
}
