using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Accounts;

/// <summary>
/// The "Paju:SignIn" section: how failed sign-ins are slowed down and locked. After FreeFailures the
/// next attempt must wait 1 s, then 2, 4 … up to MaxDelaySeconds; LockAfter failures within WindowMinutes
/// lock for LockMinutes (an administrator can lift it: paju user unlock NAME).
/// </summary>
public sealed class SignInOptions : IPajuOptions
{
    public static string Section => "Paju:SignIn";

    [Range(1, 100)]
    public int AccountFreeFailures { get; set; } = 3;

    [Range(2, 1000)]
    public int AccountLockAfter { get; set; } = 10;

    [Range(1, 10_000)]
    public int AddressFreeFailures { get; set; } = 10;

    [Range(2, 100_000)]
    public int AddressLockAfter { get; set; } = 50;

    /// <summary>MQTT connects with a wrong secret, per device id. No address lock for MQTT: gateways behind one NAT must not lock each other out.</summary>
    [Range(1, 1000)]
    public int DeviceFreeFailures { get; set; } = 5;

    [Range(2, 10_000)]
    public int DeviceLockAfter { get; set; } = 20;

    [Range(1, 3600)]
    public int MaxDelaySeconds { get; set; } = 60;

    [Range(1, 1440)]
    public int WindowMinutes { get; set; } = 15;

    [Range(1, 10_080)]
    public int LockMinutes { get; set; } = 15;
}
