using System.Text.Json.Serialization;

namespace Paju.Field.Server.Hosting;

/// <summary>A web link as OGC API documents write them.</summary>
public sealed record Link(
    string Href,
    string Rel,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title = null);
