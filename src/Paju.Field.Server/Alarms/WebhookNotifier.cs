using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Paju.Field.Server.Alarms;

/// <summary>Where escalations go. The city's SMS/messenger gateway takes a webhook; tests use a local receiver.</summary>
public interface IAlarmNotifier
{
    /// <returns>True when the gateway accepted the notification.</returns>
    Task<bool> NotifyAsync(AlarmNotification notification, CancellationToken ct);
}

public sealed record AlarmNotification(long Alarm, string Rule, int Priority, string Message, DateTimeOffset RaisedAt, double? Value, string Reason);

/// <summary>
/// A signed JSON POST. The receiver recomputes <c>HMAC-SHA256(secret, timestamp + "." + body)</c> and
/// compares it with <c>X-Paju-Signature: sha256=…</c>, and rejects old timestamps, so a captured request
/// cannot be replayed later. Retries with exponential backoff on errors and non-2xx answers.
/// </summary>
public sealed class WebhookNotifier(HttpClient http, EscalationOptions options, TimeProvider clock, ILogger<WebhookNotifier> log) : IAlarmNotifier
{
    public const string SignatureHeader = "X-Paju-Signature";
    public const string TimestampHeader = "X-Paju-Timestamp";

    public async Task<bool> NotifyAsync(AlarmNotification notification, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(notification, JsonSerializerOptions.Web);
        var delay = TimeSpan.FromMilliseconds(options.RetryMilliseconds);
        for (var attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString();
            using var request = new HttpRequestMessage(HttpMethod.Post, options.WebhookUrl)
            {
                Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.Add(TimestampHeader, timestamp);
            request.Headers.Add(SignatureHeader, "sha256=" + Sign(options.Secret ?? "", timestamp, body));
            try
            {
                using var response = await http.SendAsync(request, ct);
                if (response.IsSuccessStatusCode)
                {
                    log.LogInformation("Alarm {Alarm} ({Rule}) escalated to the gateway (attempt {Attempt})", notification.Alarm, notification.Rule, attempt);
                    return true;
                }
                log.LogWarning("The gateway answered {Status} to alarm {Alarm} (attempt {Attempt} of {Max})", (int)response.StatusCode, notification.Alarm, attempt, options.MaxAttempts);
            }
            catch (HttpRequestException e)
            {
                log.LogWarning("The gateway could not be reached for alarm {Alarm} (attempt {Attempt} of {Max}): {Reason}", notification.Alarm, attempt, options.MaxAttempts, e.Message);
            }
            if (attempt < options.MaxAttempts)
            {
                await Task.Delay(delay, ct);
                delay *= 2;
            }
        }
        return false;
    }

    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
}
