using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Alarms;

/// <summary>The "Paju:Alarms" section.</summary>
public sealed class AlarmOptions : IPajuOptions
{
    public static string Section => "Paju:Alarms";

    /// <summary>How often rules are evaluated and escalations sent; 0 turns both off on this server.</summary>
    [Range(0, 3600)]
    public double EvaluateSeconds { get; set; } = 1;
}
