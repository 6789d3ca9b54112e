namespace Paju.Field.Tests.Harness;

/// <summary>
/// Temporary folders the postgres account can enter. .NET makes them 0700, and as root the
/// private cluster runs as postgres: it would then (rightly) move the cluster elsewhere.
/// </summary>
public static class TempDirectory
{
    public static string Create(string prefix)
    {
        var path = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }
}
