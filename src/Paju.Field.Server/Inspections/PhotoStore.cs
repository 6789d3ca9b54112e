using System.Security.Cryptography;

namespace Paju.Field.Server.Inspections;

/// <summary>
/// Where photo bytes live: uploads in progress (appended chunk by chunk, resumable), and finished photos stored by
/// their SHA-256 and never changed. The metadata is in PostgreSQL. One small interface, so several servers can
/// share a network volume today or an S3-compatible store later.
/// </summary>
public interface IPhotoStore
{
    /// <summary>How many bytes of an upload in progress have arrived (0 when none).</summary>
    long Received(Guid inspection, Guid photo);

    /// <summary>Appends a chunk at <paramref name="offset"/>, which must be what has arrived; returns the new length.</summary>
    /// <exception cref="UploadOffsetException">The offset is not where the upload stands (the client resumes from <see cref="UploadOffsetException.Received"/>).</exception>
    Task<long> AppendAsync(Guid inspection, Guid photo, long offset, Stream chunk, CancellationToken ct);

    /// <summary>The finished upload's SHA-256 and a stream to read it (for checks) before it is committed or refused.</summary>
    Task<(byte[] Sha256, long Length)> HashAsync(Guid inspection, Guid photo, CancellationToken ct);

    Stream OpenUpload(Guid inspection, Guid photo);

    /// <summary>Moves a checked upload to its content address; a photo already there (the same bytes) is kept once.</summary>
    Task CommitAsync(Guid inspection, Guid photo, byte[] sha256, CancellationToken ct);

    /// <summary>Moves a refused upload aside for review (never deleted) and clears the upload so the client starts again.</summary>
    string SetAside(Guid inspection, Guid photo, string reason);

    Stream Open(byte[] sha256);

}

public sealed class UploadOffsetException(long received) : Exception($"the upload stands at byte {received}")
{
    public long Received { get; } = received;
}

/// <summary>Photos on a file system: <c>uploads/{inspection}/{photo}.part</c>, <c>sha256/ab/cd/{hash}</c>, <c>refused/…</c>.</summary>
public sealed class FileSystemPhotoStore(string root) : IPhotoStore
{
    private string UploadPath(Guid inspection, Guid photo) => Path.Combine(root, "uploads", inspection.ToString("N"), photo.ToString("N") + ".part");

    private string ContentPath(byte[] sha256)
    {
        var hex = Convert.ToHexStringLower(sha256);
        return Path.Combine(root, "sha256", hex[..2], hex[2..4], hex);
    }

    public long Received(Guid inspection, Guid photo)
    {
        var file = new FileInfo(UploadPath(inspection, photo));
        return file.Exists ? file.Length : 0;
    }

    public async Task<long> AppendAsync(Guid inspection, Guid photo, long offset, Stream chunk, CancellationToken ct)
    {
        var path = UploadPath(inspection, photo);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FileStream file;
        try
        {
            // Exclusive: two requests appending to one upload at once cannot interleave; the second is told where it stands.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
        }
        catch (IOException)
        {
            throw new UploadOffsetException(Received(inspection, photo));
        }
        await using (file)
        {
            if (file.Length != offset)
            {
                throw new UploadOffsetException(file.Length);
            }
            file.Seek(0, SeekOrigin.End);
            await chunk.CopyToAsync(file, ct);
            // No fsync per chunk: a chunk lost in a crash shows as a shorter upload (the client resumes) or as bytes that
            // fail the SHA-256 at the end (the client starts again). The finished photo is fsynced before it is committed.
            await file.FlushAsync(ct);
            return file.Length;
        }
    }

    public async Task<(byte[] Sha256, long Length)> HashAsync(Guid inspection, Guid photo, CancellationToken ct)
    {
        await using var file = File.OpenRead(UploadPath(inspection, photo));
        return (await SHA256.HashDataAsync(file, ct), file.Length);
    }

    public Stream OpenUpload(Guid inspection, Guid photo) => File.OpenRead(UploadPath(inspection, photo));

    public Task CommitAsync(Guid inspection, Guid photo, byte[] sha256, CancellationToken ct)
    {
        var upload = UploadPath(inspection, photo);
        using (var file = new FileStream(upload, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            file.Flush(flushToDisk: true);
        }
        var target = ContentPath(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target))
        {
            File.Delete(upload);
        }
        else
        {
            File.Move(upload, target);
        }
        TryRemoveEmpty(Path.GetDirectoryName(upload)!);
        return Task.CompletedTask;
    }

    public string SetAside(Guid inspection, Guid photo, string reason)
    {
        var upload = UploadPath(inspection, photo);
        var aside = Path.Combine(root, "refused", inspection.ToString("N"), $"{photo:N}-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}.{reason}");
        Directory.CreateDirectory(Path.GetDirectoryName(aside)!);
        File.Move(upload, aside);
        TryRemoveEmpty(Path.GetDirectoryName(upload)!);
        return aside;
    }

    public Stream Open(byte[] sha256) => File.OpenRead(ContentPath(sha256));

    private static void TryRemoveEmpty(string directory)
    {
        try
        {
            if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
            // Another upload of the same inspection just started there.
        }
    }
}
