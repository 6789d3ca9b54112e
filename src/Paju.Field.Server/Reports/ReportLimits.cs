using System.Net;
using System.Threading.RateLimiting;

namespace Paju.Field.Server.Reports;

/// <summary>
/// How often one address may file or add to reports, without outside services: a fixed window per address in this
/// server's memory (behind several servers each keeps its own, so the allowance multiplies by their number). The
/// per-asset limit is counted in the database, which every server shares.
/// </summary>
public sealed class ReportLimits : IDisposable
{
    public const int ReportsPerAddressPerHour = 5;
    public const int SeenTooPerAddressPerHour = 20;
    public const int ReportsPerAssetPerHour = 30;

    private readonly PartitionedRateLimiter<(string, IPAddress)> _limiter = PartitionedRateLimiter.Create<(string Kind, IPAddress Address), (string, IPAddress)>(
        key => RateLimitPartition.GetFixedWindowLimiter(key, k => new FixedWindowRateLimiterOptions
        {
            PermitLimit = k.Item1 == "report" ? ReportsPerAddressPerHour : SeenTooPerAddressPerHour,
            Window = TimeSpan.FromHours(1),
            QueueLimit = 0,
        }));

    /// <summary>True when the address may go on; the lease is spent either way (a refused attempt counts too).</summary>
    public bool TryAcquire(string kind, IPAddress? address)
    {
        using var lease = _limiter.AttemptAcquire((kind, address ?? IPAddress.None));
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
