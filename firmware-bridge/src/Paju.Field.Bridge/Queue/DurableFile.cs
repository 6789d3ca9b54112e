namespace Paju.Field.Bridge.Queue;

/// <summary>Replaces a small file whole: written aside, then renamed over, so a reader or a restart sees the old file or the new, never half.</summary>
internal static class DurableFile
{
    /// <param name="sync">Also survive a power cut: fsync the data before the rename and the directory after it.</param>
    public static void Replace(string path, ReadOnlySpan<byte> bytes, bool sync)
    {
        var temporary = path + ".tmp";
        using (var file = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(file, bytes, 0);
            if (sync)
            {
                RandomAccess.FlushToDisk(file);
            }
        }
        File.Move(temporary, path, overwrite: true);
        if (sync)
        {
            DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
    }
}
