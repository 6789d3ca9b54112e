using System.Text;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// Which of N ingest workers takes a site: FNV-1a of the site id, modulo N. Stable across processes,
/// machines and .NET versions (string.GetHashCode is not), so every worker agrees without talking.
/// </summary>
public static class SitePartition
{
    /// <summary>The partition (1…N) of a site.</summary>
    public static int Of(string site, int partitions)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(site))
        {
            hash = (hash ^ b) * 16777619u;
        }
        return (int)(hash % (uint)partitions) + 1;
    }

    public static bool TryParse(string? text, out int partition, out int partitions)
    {
        partition = partitions = 0;
        var parts = text?.Split('/');
        return parts is [var k, var n] && int.TryParse(k, out partition) && int.TryParse(n, out partitions)
            && partitions is >= 1 and <= 1024 && partition >= 1 && partition <= partitions;
    }
}
