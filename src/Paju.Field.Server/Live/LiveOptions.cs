using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Live;

/// <summary>The "Paju:Live" section: the live feed's keep-alive and how long its log is kept.</summary>
public sealed class LiveOptions : IPajuOptions, IValidatableObject
{
    public static string Section => "Paju:Live";

    /// <summary>A comment line this often keeps proxies from closing an idle stream.</summary>
    [Range(0.1, 300)]
    public double HeartbeatSeconds { get; set; } = 15;

    /// <summary>Events kept for clients that reconnect with Last-Event-ID.</summary>
    [Range(0.01, 720)]
    public double RetentionHours { get; set; } = 6;

    /// <summary>Events a client may fall behind before it is cut off with a 'reset' (and reloads the snapshot).</summary>
    [Range(10, 1_000_000)]
    public int ClientBufferEvents { get; set; } = 2000;

    /// <summary>
    /// "hub" (default): one reader of the event log fans out to every client. "per-client": each client reads
    /// the log itself — the former design, kept to be measured against (./paju bench live).
    /// </summary>
    public string FanOut { get; set; } = "hub";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FanOut is not ("hub" or "per-client"))
        {
            yield return new ValidationResult($"FanOut must be 'hub' or 'per-client', not '{FanOut}'.", [nameof(FanOut)]);
        }
    }
}
