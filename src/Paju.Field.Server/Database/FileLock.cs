using Microsoft.Extensions.Logging;

namespace Paju.Field.Server.Database;

/// <summary>An exclusive lock on a file, held while a process creates or starts the private cluster.</summary>
public sealed class FileLock : IAsyncDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static async Task<FileLock> AcquireAsync(string path, ILogger log, CancellationToken ct)
    {
        var told = false;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!told)
                {
                    log.LogInformation("Another paju process is starting the database in this data folder; waiting ({Lock})", path);
                    told = true;
                }
                await Task.Delay(200, ct);
            }
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
