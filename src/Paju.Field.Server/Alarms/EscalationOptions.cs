using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Alarms;

/// <summary>The "Paju:Alarms:Escalation" section: where unacknowledged urgent alarms are sent.</summary>
public sealed class EscalationOptions : IPajuOptions, IValidatableObject
{
    public static string Section => "Paju:Alarms:Escalation";

    /// <summary>The gateway's URL; empty turns escalation off.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Shared secret for the HMAC-SHA256 signature.</summary>
    public string? Secret { get; set; }

    /// <summary>An alarm of priority 1 or 2 unacknowledged this long is escalated.</summary>
    [Range(0.1, 1440)]
    public double AfterMinutes { get; set; } = 10;

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First retry delay; each next one doubles.</summary>
    [Range(10, 600_000)]
    public double RetryMilliseconds { get; set; } = 1000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(WebhookUrl) && (!Uri.TryCreate(WebhookUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"WebhookUrl must be an absolute http(s) address; got '{WebhookUrl}'.", [nameof(WebhookUrl)]);
        }
        if (!string.IsNullOrWhiteSpace(WebhookUrl) && string.IsNullOrEmpty(Secret))
        {
            yield return new ValidationResult("Secret is needed to sign what is sent to WebhookUrl.", [nameof(Secret)]);
        }
    }
}
