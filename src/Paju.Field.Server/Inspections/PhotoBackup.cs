namespace Paju.Field.Server.Inspections;

/// <summary>
/// Photos beside a database backup: <c>FILE.photos/</c> holds the content-addressed store's files. They never change
/// once written, so a backup copies only the ones the folder lacks (a nightly backup into the same place is
/// incremental), and a restore puts back what the store lacks. The dump is taken first: every photo it records as
/// received was on disk before it, so the copy that follows has it.
/// </summary>
public static class PhotoBackup
{
    public static string FolderFor(string backupFile) => Path.GetFullPath(backupFile) + ".photos";

    public static (int Copied, int Present) Copy(string fromRoot, string toRoot)
    {
        var (copied, present) = (0, 0);
        if (!Directory.Exists(fromRoot))
        {
            return (0, 0);
        }
        foreach (var source in Directory.EnumerateFiles(fromRoot, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(toRoot, Path.GetRelativePath(fromRoot, source));
            if (File.Exists(target) && new FileInfo(target).Length == new FileInfo(source).Length)
            {
                present++;
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target + ".partial", overwrite: true);
            File.Move(target + ".partial", target, overwrite: true);
            copied++;
        }
        return (copied, present);
    }
}
