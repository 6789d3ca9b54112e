namespace Paju.Field.Tests.Harness;

/// <summary>
/// A test that needs an outside program (mosquitto, ogrinfo, socat…) says so here. Missing on a
/// developer's machine, it is skipped with the install command; under CI=true it fails, because
/// CI must install everything the tests need and a silent skip would hide that it did not.
/// </summary>
public static class Requires
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string Tool(string name, string installHint)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
        if (found is not null)
        {
            return found;
        }
        Missing($"{name} is not installed ({installHint})");
        return "";
    }

    public static void Root(string why)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Missing($"this test must run as root: {why}");
        }
    }

    public static void Missing(string what)
    {
        if (InCi)
        {
            Assert.Fail($"CI=true and {what}. .ci/run must install it.");
        }
        Assert.Skip(what);
    }
}
