using System.Globalization;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Util;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Inspections;

/// <summary>What the server reads from a photo's own bytes: its type (by content, never by name) and its EXIF time and GPS.</summary>
public sealed record PhotoFacts(string? MediaType, DateTimeOffset? TakenAt, CheckInPosition? Position);

public static class PhotoContent
{
    private static readonly TimeSpan Seoul = TimeSpan.FromHours(9);
    private const int OffsetTimeOriginal = 0x9011;

    public static PhotoFacts Read(Stream photo)
    {
        var type = FileTypeDetector.DetectFileType(photo) switch
        {
            FileType.Jpeg => "image/jpeg",
            FileType.Png => "image/png",
            FileType.WebP => "image/webp",
            _ => null,
        };
        if (type is null)
        {
            return new PhotoFacts(null, null, null);
        }
        photo.Position = 0;
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            directories = ImageMetadataReader.ReadMetadata(photo);
        }
        catch (ImageProcessingException)
        {
            // A photo with broken metadata is still a photo; the phone's own time and position stand.
            return new PhotoFacts(type, null, null);
        }
        catch (IOException)
        {
            return new PhotoFacts(type, null, null);
        }
        DateTimeOffset? takenAt = null;
        var exif = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        if (exif is not null && exif.TryGetDateTime(ExifDirectoryBase.TagDateTimeOriginal, out var local))
        {
            // EXIF keeps local time; OffsetTimeOriginal (EXIF 2.31) says which zone. Without it: the city's phones are in Seoul.
            var offset = exif.GetString(OffsetTimeOriginal) is { } text && TimeSpan.TryParse(text.TrimStart('+'), CultureInfo.InvariantCulture, out var parsed)
                ? (text.StartsWith('-') ? parsed.Negate() : parsed) : Seoul;
            takenAt = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset);
        }
        CheckInPosition? position = null;
        if (directories.OfType<GpsDirectory>().FirstOrDefault()?.GetGeoLocation() is { IsZero: false } location)
        {
            position = new CheckInPosition(location.Latitude, location.Longitude, 0);
        }
        return new PhotoFacts(type, takenAt, position);
    }
}
