using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Tiles;

/// <summary>The "Paju:Tiles" section: rendered tiles kept in memory.</summary>
public sealed class TileOptions : IPajuOptions
{
    public static string Section => "Paju:Tiles";

    public bool CacheEnabled { get; set; } = true;

    [Range(1, 65536)]
    public long CacheMegabytes { get; set; } = 256;
}
