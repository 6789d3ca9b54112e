using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.WebApps;

/// <summary>
/// The "Paju:ControlRoom" section: an optional basemap under the room's map (a raster XYZ template, such as the national
/// VWorld base map with the city's key or an OSM tile server), and after how long a station's values are shown as old.
/// </summary>
public sealed class ControlRoomOptions : IPajuOptions, IValidatableObject
{
    public static string Section => "Paju:ControlRoom";

    /// <summary>e.g. https://api.vworld.kr/req/wmts/1.0.0/{key}/white/{z}/{y}/{x}.png — empty: no basemap (the city and its 읍면동 only).</summary>
    public string? BasemapUrl { get; set; }

    /// <summary>The basemap's credit line, shown on the map (its terms usually require one).</summary>
    public string? BasemapAttribution { get; set; }

    /// <summary>A station's values older than this are greyed and marked old.</summary>
    [Range(10, 86_400)]
    public int StaleSeconds { get; set; } = 120;

    /// <summary>The origin the page must be allowed to fetch the basemap from (its content security policy).</summary>
    public string? BasemapOrigin => Uri.TryCreate(BasemapUrl, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;

    /// <summary>What the room's script reads: the same values, as JSON in the page.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        basemap = string.IsNullOrWhiteSpace(BasemapUrl) ? null : new { url = BasemapUrl, attribution = BasemapAttribution ?? "" },
        staleSeconds = StaleSeconds,
    }).Replace("<", "\\u003c", StringComparison.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(BasemapUrl))
        {
            yield break;
        }
        if (!Uri.TryCreate(BasemapUrl.Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("https" or "http"))
        {
            yield return new ValidationResult($"Paju:ControlRoom:BasemapUrl must be an absolute http(s) tile address; got '{BasemapUrl}'.");
        }
        else if (!(BasemapUrl.Contains("{z}", StringComparison.Ordinal) && BasemapUrl.Contains("{x}", StringComparison.Ordinal) && BasemapUrl.Contains("{y}", StringComparison.Ordinal)))
        {
            yield return new ValidationResult("Paju:ControlRoom:BasemapUrl must carry {z}, {x} and {y} (an XYZ or WMTS REST template).");
        }
    }
}
