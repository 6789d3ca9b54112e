using System.Runtime.InteropServices;

namespace Paju.Field.Bridge.Queue;

/// <summary>
/// fsync of a directory, so a created, renamed or deleted file survives a power cut. .NET opens no
/// handle on a directory, hence libc.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000;   // O_DIRECTORY on Linux

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc")]
    private static extern int close(int fd);

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = open(directory, ReadOnly | Directory);
        if (fd < 0)
        {
            throw new IOException($"cannot open {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"fsync of {directory} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            close(fd);
        }
    }
}
