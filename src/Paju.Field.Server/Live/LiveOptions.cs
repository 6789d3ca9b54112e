using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Live;

/// <summary>The "Paju:Live" section: the live feed's keep-alive and how long its log is kept.</summary>
public sealed class LiveOptions : IPajuOptions
{
    public static string Section => "Paju:Live";

    /// <summary>A comment line this often keeps proxies from closing an idle stream.</summary>
    [Range(0.1, 300)]
    public double HeartbeatSeconds { get; set; } = 15;

    /// <summary>Events kept for clients that reconnect with Last-Event-ID.</summary>
    [Range(0.01, 720)]
    public double RetentionHours { get; set; } = 6;
}
