namespace Paju.Field.Server.Database;

/// <summary>
/// PostgreSQL's postmaster.pid: line 1 the pid, line 4 the port. After a crash the file stays
/// behind and its pid may belong to an unrelated process by now, so "alive" is not enough:
/// the process must be a postgres whose working directory is this cluster's data folder.
/// </summary>
public sealed record PostmasterPidFile(int Pid, string DataDirectory, int Port)
{
    public const string Name = "postmaster.pid";

    public static PostmasterPidFile? Read(string pgData)
    {
        var path = Path.Combine(pgData, Name);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port))
        {
            // Torn while the server was starting: treat it as stale and let PostgreSQL start afresh.
            return new PostmasterPidFile(0, pgData, 0);
        }
        return new PostmasterPidFile(pid, lines[1], port);
    }

    public bool BelongsToLiveServerOf(string pgData)
    {
        if (Pid <= 0)
        {
            return false;
        }
        try
        {
            var exe = Path.GetFileName(ReadLink($"/proc/{Pid}/exe") ?? "");
            var cwd = ReadLink($"/proc/{Pid}/cwd");
            return exe is "postgres" or "postmaster"
                && cwd is not null
                && SamePath(cwd, pgData);
        }
        catch (UnauthorizedAccessException)
        {
            // Another account's process: not a server this paju started.
            return false;
        }
    }

    private static string? ReadLink(string path)
    {
        var info = new FileInfo(path);
        return info.Exists || Directory.Exists(path) ? info.LinkTarget ?? new DirectoryInfo(path).LinkTarget : null;
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);
}
