using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace Paju.Field.Tests.Harness;

/// <summary>Real JPEG photos for upload tests: noise (so they are as large as a phone's), with EXIF time and GPS when asked.</summary>
public static class TestPhotos
{
    /// <summary>A JPEG of about <paramref name="approximateBytes"/>, with DateTimeOriginal (+09:00) and a GPS position when given.</summary>
    public static byte[] Jpeg(int approximateBytes, DateTimeOffset? takenAt = null, double? lat = null, double? lon = null, int seed = 1)
    {
        // Noise compresses to a little over a byte a pixel at quality 90; grow the picture until it is at least as large as asked.
        var side = (int)Math.Sqrt(approximateBytes / 1.2);
        var jpeg = Noise(side, seed);
        while (jpeg.Length < approximateBytes)
        {
            side = (int)(side * Math.Sqrt((double)approximateBytes / jpeg.Length) + 2);
            jpeg = Noise(side, seed);
        }
        if (takenAt is null && lat is null)
        {
            return jpeg;
        }
        var exif = ExifSegment(takenAt, lat, lon);
        return [.. jpeg[..2], .. exif, .. jpeg[2..]]; // right after SOI
    }

    /// <summary>A camera-sized JPEG (a smooth gradient, so it is as large in pixels as a phone's photo but quick to make).</summary>
    public static byte[] Camera(int width = 4032, int height = 3024)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                [SKColors.SkyBlue, SKColors.ForestGreen, SKColors.SaddleBrown], SKShaderTileMode.Clamp),
        };
        surface.Canvas.DrawRect(0, 0, width, height, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }

    private static byte[] Noise(int side, int seed)
    {
        using var bitmap = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var random = new Random(seed);
        var pixels = new byte[side * side * 4];
        random.NextBytes(pixels);
        for (var i = 3; i < pixels.Length; i += 4)
        {
            pixels[i] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>An APP1 Exif segment (big-endian TIFF): IFD0 → Exif IFD (DateTimeOriginal, OffsetTimeOriginal) and GPS IFD.</summary>
    private static byte[] ExifSegment(DateTimeOffset? takenAt, double? lat, double? lon)
    {
        var tiff = new byte[198];
        void U16(int at, int v) => BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), (ushort)v);
        void U32(int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at), v);
        void Entry(int at, int tag, int type, uint count, uint valueOrOffset)
        {
            U16(at, tag);
            U16(at + 2, type);
            U32(at + 4, count);
            U32(at + 8, valueOrOffset);
        }
        Encoding.ASCII.GetBytes("MM").CopyTo(tiff, 0);
        U16(2, 42);
        U32(4, 8);
        // IFD0 at 8: pointers to the Exif IFD (38) and the GPS IFD (96).
        U16(8, 2);
        Entry(10, 0x8769, 4, 1, 38);
        Entry(22, 0x8825, 4, 1, 96);
        // Exif IFD at 38.
        U16(38, 2);
        Entry(40, 0x9003, 2, 20, 68);
        Entry(52, 0x9011, 2, 7, 88);
        var local = (takenAt ?? DateTimeOffset.UnixEpoch).ToOffset(TimeSpan.FromHours(9));
        Encoding.ASCII.GetBytes(local.ToString("yyyy:MM:dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + "\0").CopyTo(tiff, 68);
        Encoding.ASCII.GetBytes("+09:00\0").CopyTo(tiff, 88);
        // GPS IFD at 96: N/E references inline, the degrees as three rationals each.
        U16(96, 4);
        Entry(98, 0x0001, 2, 2, 0x4E000000);
        Entry(110, 0x0002, 5, 3, 150);
        Entry(122, 0x0003, 2, 2, 0x45000000);
        Entry(134, 0x0004, 5, 3, 174);
        void Degrees(int at, double value)
        {
            var d = Math.Floor(value);
            var m = Math.Floor((value - d) * 60);
            var s = ((value - d) * 60 - m) * 60;
            U32(at, (uint)d); U32(at + 4, 1);
            U32(at + 8, (uint)m); U32(at + 12, 1);
            U32(at + 16, (uint)Math.Round(s * 10000)); U32(at + 20, 10000);
        }
        Degrees(150, lat ?? 0);
        Degrees(174, lon ?? 0);
        var payload = Encoding.ASCII.GetBytes("Exif\0\0").Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return segment;
    }
}
