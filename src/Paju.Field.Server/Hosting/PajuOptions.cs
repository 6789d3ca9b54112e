using System.ComponentModel.DataAnnotations;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// The "Paju" configuration section (environment: Paju__PublicBaseUrl, …). The database is the
/// separate connection string "Paju" (ConnectionStrings__Paju); without it the private cluster
/// under DataDirectory is used. config/paju.sample.json explains each field.
/// </summary>
public sealed class PajuOptions : IPajuOptions, IValidatableObject
{
    public static string Section => "Paju";

    /// <summary>Where the private database cluster, keys and demo login are kept.</summary>
    public string DataDirectory { get; set; } = "./.paju";

    /// <summary>HOST:PORT the web server listens on for HTTP.</summary>
    public string Http { get; set; } = "127.0.0.1:8080";

    /// <summary>
    /// HOST:PORT for HTTPS (HTTP/1.1 and HTTP/2, by ALPN). Empty: no HTTPS (behind a proxy that terminates TLS).
    /// With both, HTTP answers /health and redirects everything else to HTTPS.
    /// </summary>
    public string? Https { get; set; }

    /// <summary>PEM certificate (chain) and key for HTTPS, re-read when they change. Empty: a certificate from the product's own local CA.</summary>
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>
    /// The address people and other systems reach this server by, e.g. https://gis.paju.go.kr/field.
    /// Every absolute link the product emits starts with it (tag URLs, OGC links, TileJSON).
    /// Empty: links follow the request (after X-Forwarded-* from a trusted proxy).
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Reverse proxies (IP addresses) trusted to set X-Forwarded-For/-Proto/-Host. Loopback is always trusted.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR) of trusted reverse proxies.</summary>
    public string[] KnownNetworks { get; set; } = [];

    [Range(1, 365)]
    public int TokenLifetimeDays { get; set; } = 30;

    [Range(1, 168)]
    public int SessionHours { get; set; } = 12;

    /// <summary>"text" (one line per event) or "json" (for a log collector).</summary>
    public string LogFormat { get; set; } = "text";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(PublicBaseUrl)
            && (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)))
        {
            yield return new ValidationResult(
                $"Paju:PublicBaseUrl must be an absolute http(s) address without query, such as https://gis.paju.go.kr/field; got '{PublicBaseUrl}'.",
                [nameof(PublicBaseUrl)]);
        }
        foreach (var proxy in KnownProxies.Where(p => !System.Net.IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"Paju:KnownProxies has '{proxy}', which is not an IP address.", [nameof(KnownProxies)]);
        }
        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult($"Paju:KnownNetworks has '{network}', which is not a CIDR network such as 10.0.0.0/8.", [nameof(KnownNetworks)]);
        }
        foreach (var (name, value) in new[] { (nameof(Http), Http), (nameof(Https), Https) })
        {
            if (value is { Length: > 0 } && !ListenEndpoint.TryParse(value, out _))
            {
                yield return new ValidationResult($"Paju:{name} must be IP:PORT or localhost:PORT (0.0.0.0 for every address), e.g. 0.0.0.0:8443; got '{value}'.", [name]);
            }
        }
        if (string.IsNullOrEmpty(CertificateFile) != string.IsNullOrEmpty(KeyFile))
        {
            yield return new ValidationResult("Paju:CertificateFile and Paju:KeyFile go together (--cert FILE --key FILE).", [nameof(CertificateFile)]);
        }
        foreach (var file in new[] { CertificateFile, KeyFile }.Where(f => !string.IsNullOrEmpty(f) && !File.Exists(f)))
        {
            yield return new ValidationResult($"No certificate or key file at {Path.GetFullPath(file!)}.", [nameof(CertificateFile)]);
        }
        if (LogFormat is not ("text" or "json"))
        {
            yield return new ValidationResult($"Paju:LogFormat must be 'text' or 'json', not '{LogFormat}'.", [nameof(LogFormat)]);
        }
    }
}
