using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Paju.Field.Bridge.Queue;

/// <summary>
/// The queue's record of acknowledged LSN ranges: 20-byte entries (u64 from, u64 to, u32 CRC-32),
/// appended at each commit and rewritten whole when a segment is deleted. It only saves re-sending:
/// a lost entry means a reading is sent twice, and the server stores it once by its key.
/// </summary>
internal sealed class AckLog : IDisposable
{
    private const int EntrySize = 20;
    private readonly string _path;
    private SafeFileHandle _file;
    private long _length;

    private AckLog(string path, SafeFileHandle file, long length)
    {
        _path = path;
        _file = file;
        _length = length;
    }

    /// <summary>Reads the ranges written so far; a torn or damaged entry ends the read.</summary>
    public static (AckLog Log, LsnRanges Acked) Open(string path)
    {
        var acked = new LsnRanges();
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        var entry = new byte[EntrySize];
        long position = 0;
        while (RandomAccess.Read(file, entry, position) == EntrySize && TryDecode(entry, out var from, out var to))
        {
            acked.Add(from, to);
            position += EntrySize;
        }
        return (new AckLog(path, file, position), acked);
    }

    public void Append(IReadOnlyList<(long From, long To)> ranges, bool sync)
    {
        if (ranges.Count == 0)
        {
            return;
        }
        var bytes = Encode(ranges);
        RandomAccess.Write(_file, bytes, _length);
        _length += bytes.Length;
        if (sync)
        {
            RandomAccess.FlushToDisk(_file);
        }
    }

    /// <summary>Replaces the file with exactly these ranges: written aside, synced, renamed over.</summary>
    public void Rewrite(IReadOnlyList<(long From, long To)> ranges, bool sync)
    {
        var bytes = Encode(ranges);
        DurableFile.Replace(_path, bytes, sync);
        _file.Dispose();
        _file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
        _length = bytes.Length;
    }

    private static byte[] Encode(IReadOnlyList<(long From, long To)> ranges)
    {
        var bytes = new byte[ranges.Count * EntrySize];
        for (var i = 0; i < ranges.Count; i++)
        {
            var entry = bytes.AsSpan(i * EntrySize, EntrySize);
            BinaryPrimitives.WriteInt64LittleEndian(entry, ranges[i].From);
            BinaryPrimitives.WriteInt64LittleEndian(entry[8..], ranges[i].To);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], Crc32.HashToUInt32(entry[..16]));
        }
        return bytes;
    }

    private static bool TryDecode(ReadOnlySpan<byte> entry, out long from, out long to)
    {
        from = BinaryPrimitives.ReadInt64LittleEndian(entry);
        to = BinaryPrimitives.ReadInt64LittleEndian(entry[8..]);
        return BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]) == Crc32.HashToUInt32(entry[..16]) && from > 0 && to > from;
    }

    public void Dispose() => _file.Dispose();
}
