using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Tags;

/// <summary>The "Paju:Tags" section: where the tag keys are and how far from an asset a check-in may be.</summary>
public sealed class TagOptions : IPajuOptions, IValidatableObject
{
    public static string Section => "Paju:Tags";

    /// <summary>The key file (0600). Empty: keys/tags.json under the data directory. Several servers share one by configuration management, never by the database.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// Static-signature keys given by configuration instead of (or beside) the key file: version → 64 hex digits
    /// (environment: Paju__Tags__SigningKeys__1=…). The highest version signs new plates.
    /// </summary>
    public Dictionary<string, string> SigningKeys { get; set; } = [];

    /// <summary>A check-in passes within max(PassMetres, the position's accuracy) of the asset.</summary>
    [Range(1, 10_000)]
    public double PassMetres { get; set; } = 30;

    /// <summary>A check-in is flagged too far beyond FlagBeyondMetres + the position's accuracy.</summary>
    [Range(1, 100_000)]
    public double FlagBeyondMetres { get; set; } = 100;

    /// <summary>A position less accurate than this is flagged (the phone's 95% radius, metres).</summary>
    [Range(1, 100_000)]
    public double WarnAccuracyMetres { get; set; } = 50;

    /// <summary>Whom a citizen calls about an asset with no managing body of its own (shown on the plate's public page).</summary>
    public string PublicContactName { get; set; } = "파주시 행정안전국 안전총괄과";

    /// <summary>The phone number shown beside <see cref="PublicContactName"/>: the city hall's main line unless configured.</summary>
    [RegularExpression("^[0-9+][0-9 -]{6,20}$")]
    public string PublicContactPhone { get; set; } = "031-940-4114";

    public string KeyFilePath(string dataDirectory) =>
        string.IsNullOrWhiteSpace(KeyFile) ? Path.Combine(Path.GetFullPath(dataDirectory), "keys", "tags.json") : Path.GetFullPath(KeyFile);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (version, hex) in SigningKeys)
        {
            if (!int.TryParse(version, out var v) || v <= 0 || hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
            {
                yield return new ValidationResult($"Paju:Tags:SigningKeys:{version} must be a positive version mapped to 64 hex digits (a 256-bit key).");
            }
        }
        if (FlagBeyondMetres < PassMetres)
        {
            yield return new ValidationResult("Paju:Tags:FlagBeyondMetres must not be less than PassMetres.");
        }
    }
}
