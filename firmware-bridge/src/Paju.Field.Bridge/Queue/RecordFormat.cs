using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Paju.Field.Bridge.Queue;

/// <summary>One record read back from a segment.</summary>
public readonly record struct QueuedRecord(long Lsn, DateTimeOffset AppendedAt, byte[] Payload);

/// <summary>
/// The on-disk record, little-endian:
/// <code>
///  0  u32  magic "PQJ1"       lets a reader find the next record after a damaged one
///  4  u32  payload length
///  8  u64  LSN                 the queue's sequence number, strictly increasing
/// 16  i64  appended at          unix milliseconds
/// 24  u32  CRC-32 of bytes 4..23 and the payload
/// 28  payload
/// </code>
/// A record is accepted only whole and with a matching CRC: a torn write or a flipped bit is never
/// handed to a publisher.
/// </summary>
public static class RecordFormat
{
    public const int HeaderSize = 28;
    public const uint Magic = 0x314A_5150;   // the bytes 'P' 'Q' 'J' '1'
    private static ReadOnlySpan<byte> MagicBytes => "PQJ1"u8;
    public const int MaxPayload = 1 << 20;

    public static byte[] Encode(long lsn, DateTimeOffset appendedAt, ReadOnlySpan<byte> payload)
    {
        var record = new byte[HeaderSize + payload.Length];
        var span = record.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], lsn);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], appendedAt.ToUnixTimeMilliseconds());
        payload.CopyTo(span[HeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], Checksum(span));
        return record;
    }

    private static uint Checksum(ReadOnlySpan<byte> record)
    {
        var crc = new Crc32();
        crc.Append(record[4..24]);
        crc.Append(record[HeaderSize..]);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>
    /// Reads the first valid record at or after <paramref name="offset"/> and before <paramref name="limit"/>.
    /// Bytes that do not form a valid record are skipped (<paramref name="skipped"/> counts them): the
    /// reader moves one byte on and looks for the next magic, so one damaged record costs only itself.
    /// </summary>
    public static bool TryReadNext(SafeFileHandle file, long offset, long limit, long afterLsn,
        out QueuedRecord record, out long nextOffset, out long skipped)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        skipped = 0;
        var position = offset;
        while (position + HeaderSize <= limit)
        {
            if (RandomAccess.Read(file, header, position) == HeaderSize
                && BinaryPrimitives.ReadUInt32LittleEndian(header) == Magic)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
                var lsn = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
                if (length is >= 0 and <= MaxPayload && position + HeaderSize + length <= limit && lsn > afterLsn)
                {
                    var whole = new byte[HeaderSize + length];
                    if (RandomAccess.Read(file, whole, position) == whole.Length
                        && BinaryPrimitives.ReadUInt32LittleEndian(whole.AsSpan(24)) == Checksum(whole))
                    {
                        var appendedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(header[16..]));
                        record = new QueuedRecord(lsn, appendedAt, whole[HeaderSize..]);
                        nextOffset = position + whole.Length;
                        skipped = position - offset;
                        return true;
                    }
                }
            }
            position = NextMagic(file, position + 1, limit);
        }
        record = default;
        nextOffset = position;
        skipped = Math.Max(0, limit - offset);
        return false;
    }

    /// <summary>The offset of the next magic at or after <paramref name="from"/>, or <paramref name="limit"/>.</summary>
    private static long NextMagic(SafeFileHandle file, long from, long limit)
    {
        var chunk = new byte[64 * 1024];
        while (from + HeaderSize <= limit)
        {
            var read = RandomAccess.Read(file, chunk.AsSpan(0, (int)Math.Min(chunk.Length, limit - from)), from);
            if (read <= 0)
            {
                break;
            }
            var found = chunk.AsSpan(0, read).IndexOf(MagicBytes);
            if (found >= 0)
            {
                return from + found;
            }
            // The magic may straddle two chunks: step back three bytes.
            from += Math.Max(1, read - (MagicBytes.Length - 1));
        }
        return limit;
    }
}
