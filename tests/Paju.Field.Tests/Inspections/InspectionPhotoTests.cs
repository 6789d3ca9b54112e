using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Paju.Field.Tests.Harness;
using SkiaSharp;
using static Paju.Field.Tests.Inspections.InspectionFixture;

namespace Paju.Field.Tests.Inspections;

/// <summary>Photos in 256 KB chunks over one bar of signal: resumed where they stopped, checked by hash and content, never lost.</summary>
public sealed class InspectionPhotoTests(InspectionFixture f) : IClassFixture<InspectionFixture>
{
    private const int Chunk = 256 * 1024;

    [Fact]
    public async Task A_photo_cut_after_its_second_chunk_resumes_from_the_servers_offset_and_arrives_whole()
    {
        var takenAt = new DateTimeOffset(2026, 11, 30, 10, 5, 0, TimeSpan.FromHours(9));
        var photo = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(700_000, takenAt, 37.7601, 126.7805, seed: 7));
        var other = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(150_000, seed: 8));
        Assert.True(photo.Bytes.Length > 2 * Chunk);
        var id = Guid.NewGuid();
        var (_, receipt) = await f.PutAsync(id, Monthly(photos: [photo, other]));
        Assert.Equal("사진 0/2", receipt.GetProperty("photoStatus").GetString());

        var (first, _, _) = await f.ChunkAsync(id, photo, 0, Chunk);
        var (second, state, offset) = await f.ChunkAsync(id, photo, Chunk, 2 * Chunk);
        // The signal drops here. Back online the app does not know what arrived: it asks.
        var resumeAt = await f.OffsetAsync(id, photo);
        // A stale retry of the first chunk is told where the upload stands, and nothing is written twice.
        var (stale, staleBody, staleOffset) = await f.ChunkAsync(id, photo, 0, Chunk);
        var (last, done, _) = await f.ChunkAsync(id, photo, (int)resumeAt, photo.Bytes.Length);

        Assert.Equal([202, 202], new[] { first, second });
        Assert.Equal((2 * Chunk).ToString(), offset);
        Assert.Equal(2 * Chunk, state.GetProperty("received").GetInt64());
        Assert.Equal(2 * Chunk, resumeAt);
        Assert.Equal(409, stale);
        Assert.Equal((2 * Chunk).ToString(), staleOffset);
        Assert.Contains("이어 보내세요", staleBody.GetProperty("detail").GetString());
        Assert.Equal(201, last);
        Assert.True(done.GetProperty("complete").GetBoolean());
        Assert.Equal("사진 1/2", done.GetProperty("photoStatus").GetString());

        // What is stored is the photo, byte for byte, and the server read its EXIF beside what the phone said.
        using var client = f.Client();
        var stored = await client.GetByteArrayAsync($"/api/inspections/{id}/photos/{photo.Id}");
        Assert.Equal(photo.Sha256, Convert.ToHexStringLower(SHA256.HashData(stored)));
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("""
            SELECT count(*) FROM inspection_photo WHERE photo_id = $1 AND media_type = 'image/jpeg' AND received_at IS NOT NULL
              AND exif_taken_at = '2026-11-30T01:05:00Z' AND ST_DWithin(exif_position, ST_SetSRID(ST_MakePoint(126.7805, 37.7601), 4326), 0.00001)
              AND taken_at = '2026-11-30T01:05:00Z' AND source = 'exif'
            """, photo.Id));
        Assert.Equal(201, (await f.UploadAsync(id, other)).Status);
        var after = JsonDocument.Parse(await client.GetStringAsync($"/api/inspections/{id}/receipt")).RootElement;
        Assert.Equal("사진 2/2 완료", after.GetProperty("photoStatus").GetString());
        Assert.Equal(photo.Bytes.Length, await f.OffsetAsync(id, photo));
    }

    [Fact]
    public async Task A_photo_whose_bytes_do_not_hash_to_the_announcement_is_refused_set_aside_and_started_again()
    {
        var announced = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(100_000, seed: 11));
        var sent = announced with { Bytes = TestPhotos.Jpeg(100_000, seed: 12)[..announced.Bytes.Length] };
        var id = Guid.NewGuid();
        await f.PutAsync(id, Monthly(photos: [announced]));

        var (status, problem) = await f.UploadAsync(id, sent);

        Assert.Equal(422, status);
        Assert.Contains("SHA-256", problem.GetProperty("detail").GetString());
        Assert.Contains("처음부터 다시", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await f.OffsetAsync(id, announced));
        var aside = await f.Db.ScalarAsync<string>("SELECT convert_from(payload, 'UTF8') FROM dead_letter WHERE reason_code = 'sha256_mismatch' AND topic LIKE '%' || $1 || '%'", announced.Id.ToString());
        Assert.True(File.Exists(aside), aside);
        Assert.Equal(201, (await f.UploadAsync(id, announced)).Status);
    }

    [Fact]
    public async Task A_renamed_executable_is_refused_by_its_content()
    {
        var exe = new byte[60_000];
        new Random(3).NextBytes(exe);
        "MZ"u8.CopyTo(exe); // a Windows program saved as 사진.jpg
        var photo = new Photo(Guid.NewGuid(), exe);
        var id = Guid.NewGuid();
        await f.PutAsync(id, Monthly(photos: [photo]));

        var (status, problem) = await f.UploadAsync(id, photo);

        Assert.Equal(415, status);
        Assert.Contains("JPEG, PNG, WebP 사진만", problem.GetProperty("detail").GetString());
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter WHERE reason_code = 'not_an_image' AND topic LIKE '%' || $1 || '%'", photo.Id.ToString()));

        // Declared for what it is, it gets the same reason in Korean (the bytes decide, not routing), and is kept again.
        using var client = f.Client();
        using var content = new ByteArrayContent(exe);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-msdownload");
        content.Headers.ContentRange = new ContentRangeHeaderValue(0, exe.Length - 1, exe.Length);
        using var declared = await client.PutAsync($"/api/inspections/{id}/photos/{photo.Id}", content);
        Assert.Equal(415, (int)declared.StatusCode);
        Assert.Contains("JPEG, PNG, WebP 사진만", await declared.Content.ReadAsStringAsync());
        Assert.Equal(2L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM dead_letter WHERE reason_code = 'not_an_image' AND topic LIKE '%' || $1 || '%'", photo.Id.ToString()));
        Assert.Equal(0L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM inspection_photo WHERE photo_id = $1 AND received_at IS NOT NULL", photo.Id));
    }

    [Fact]
    public async Task Chunks_over_256_KB_ranges_that_lie_and_strangers_are_refused()
    {
        var photo = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(400_000, seed: 21));
        var id = Guid.NewGuid();
        await f.PutAsync(id, Monthly(photos: [photo]));

        var (tooLarge, p1, _) = await f.ChunkAsync(id, photo, 0, Chunk + 1);
        var (stranger, _, _) = await f.ChunkAsync(id, photo, 0, Chunk, "inspector.lee");
        using var client = f.Client();
        using var noRange = await client.PutAsync($"/api/inspections/{id}/photos/{photo.Id}", new ByteArrayContent(photo.Bytes[..1000]));
        var (unknown, _, _) = await f.ChunkAsync(id, photo with { Id = Guid.NewGuid() }, 0, 1000);

        Assert.Equal(400, tooLarge);
        Assert.Contains("256 KB", p1.GetProperty("detail").GetString());
        Assert.Equal(403, stranger);
        Assert.Equal(400, (int)noRange.StatusCode);
        Assert.Contains("Content-Range", await noRange.Content.ReadAsStringAsync());
        Assert.Equal(404, unknown);
        Assert.Equal(0, await f.OffsetAsync(id, photo));
    }

    /// <summary>A small picture in <paramref name="format"/>, made by SkiaSharp's own encoder.</summary>
    private static byte[] Picture(SKEncodedImageFormat format, byte shade)
    {
        using var bitmap = new SKBitmap(48, 32, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(shade, 120, 200));
        bitmap.SetPixel(3, 4, SKColors.Black);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>Sends a whole (small) photo as one chunk, claiming a type and a file name of the sender's choice.</summary>
    private async Task<int> SendClaimingAsync(Guid id, Photo photo, string contentType, string fileName)
    {
        using var client = f.Client();
        using var content = new ByteArrayContent(photo.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName };
        content.Headers.ContentRange = new ContentRangeHeaderValue(0, photo.Bytes.Length - 1, photo.Bytes.Length);
        using var response = await client.PutAsync($"/api/inspections/{id}/photos/{photo.Id}", content);
        return (int)response.StatusCode;
    }

    private Task<string> MediaTypeAsync(Photo photo) =>
        f.Db.ScalarAsync<string>("SELECT media_type FROM inspection_photo WHERE photo_id = $1 AND received_at IS NOT NULL", photo.Id);

    [Fact]
    public async Task A_chunk_whose_Content_Range_says_the_photo_is_over_10_MB_is_refused_in_Korean_and_nothing_is_stored()
    {
        var photo = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(50_000, seed: 41));
        var id = Guid.NewGuid();
        await f.PutAsync(id, Monthly(photos: [photo]));
        const long elevenMegabytes = 11L * 1024 * 1024;

        using var client = f.Client();
        using var content = new ByteArrayContent(photo.Bytes[..4096]);
        content.Headers.ContentRange = new ContentRangeHeaderValue(0, 4095, elevenMegabytes);
        using var response = await client.PutAsync($"/api/inspections/{id}/photos/{photo.Id}", content);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(413, (int)response.StatusCode);
        Assert.Equal("사진이 너무 큽니다", problem.GetProperty("title").GetString());
        Assert.Contains("10 MB 이하만 받습니다 (11.0 MB)", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await f.OffsetAsync(id, photo));
        Assert.False(Directory.Exists(Path.Combine(f.Server.DataDirectory, "photos", "uploads", id.ToString("N"))));
        Assert.Equal(0L, await f.Db.ScalarAsync<long>("SELECT photos_received::bigint FROM inspection WHERE id = $1", id) + await f.Db.ScalarAsync<long>(
            "SELECT count(*) FROM inspection_photo WHERE photo_id = $1 AND received_at IS NOT NULL", photo.Id));
    }

    [Fact]
    public async Task PNG_and_WebP_photos_are_accepted_by_their_content_whatever_type_or_name_the_upload_claims()
    {
        var png = new Photo(Guid.NewGuid(), Picture(SKEncodedImageFormat.Png, 10));
        var webp = new Photo(Guid.NewGuid(), Picture(SKEncodedImageFormat.Webp, 20));
        var jpeg = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(20_000, seed: 31));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png.Bytes[..4]);
        Assert.Equal(("RIFF", "WEBP"), (Encoding.ASCII.GetString(webp.Bytes, 0, 4), Encoding.ASCII.GetString(webp.Bytes, 8, 4)));
        var id = Guid.NewGuid();
        var (announced, _) = await f.PutAsync(id, Monthly(photos: [png, webp, jpeg]));

        var statuses = new[]
        {
            await SendClaimingAsync(id, png, "image/jpeg", "놀이터.jpg"),
            await SendClaimingAsync(id, webp, "image/png", "놀이터.png"),
            await SendClaimingAsync(id, jpeg, "image/webp", "놀이터.webp"),
        };

        Assert.Equal(201, announced);
        Assert.Equal([201, 201, 201], statuses);
        Assert.Equal("image/png", await MediaTypeAsync(png));
        Assert.Equal("image/webp", await MediaTypeAsync(webp));
        Assert.Equal("image/jpeg", await MediaTypeAsync(jpeg));
        using var client = f.Client();
        using var served = await client.GetAsync($"/api/inspections/{id}/photos/{webp.Id}");
        Assert.Equal("image/webp", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal(webp.Bytes, await served.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task What_the_phone_announced_is_kept_beside_what_the_photos_EXIF_says_when_they_differ()
    {
        var exifTime = new DateTimeOffset(2026, 11, 30, 10, 5, 0, TimeSpan.FromHours(9));
        var photo = new Photo(Guid.NewGuid(), TestPhotos.Jpeg(30_000, exifTime, 37.7601, 126.7805, seed: 51));
        var submission = Monthly(photos: [photo]);
        // The phone's own clock and fix (say the photo was picked from the gallery later) disagree with the camera's.
        submission["photos"] = new[]
        {
            new { id = photo.Id.ToString(), sha256 = photo.Sha256, bytes = photo.Bytes.Length, takenAt = "2026-11-30T09:40:00+09:00",
                  position = new { lat = 37.7550, lon = 126.7700 }, source = "device" },
        };
        var id = Guid.NewGuid();

        var (status, _) = await f.PutAsync(id, submission);
        var (uploaded, _) = await f.UploadAsync(id, photo);

        Assert.Equal([201, 201], new[] { status, uploaded });
        Assert.Equal("2026-11-30T00:40:00|37.75500|126.77000|device|2026-11-30T01:05:00|37.76010|126.78050", await f.Db.ScalarAsync<string>("""
            SELECT concat_ws('|', to_char(taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), round(ST_Y(position)::numeric, 5), round(ST_X(position)::numeric, 5), source,
                             to_char(exif_taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), round(ST_Y(exif_position)::numeric, 5), round(ST_X(exif_position)::numeric, 5))
            FROM inspection_photo WHERE photo_id = $1
            """, photo.Id));
    }

    [Fact]
    public async Task A_photo_is_stored_under_its_SHA_256_in_the_data_folder_and_the_same_bytes_in_two_inspections_are_kept_once()
    {
        var bytes = TestPhotos.Jpeg(40_000, seed: 61);
        var (first, second) = (new Photo(Guid.NewGuid(), bytes), new Photo(Guid.NewGuid(), bytes));
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        await f.PutAsync(a, Monthly(photos: [first]));
        await f.PutAsync(b, Monthly("PG-I0002", photos: [second]));

        var (firstUpload, _) = await f.UploadAsync(a, first);
        var (secondUpload, _) = await f.UploadAsync(b, second);

        Assert.Equal([201, 201], new[] { firstUpload, secondUpload });
        var root = Path.Combine(f.Server.DataDirectory, "photos");
        var hash = first.Sha256;
        var stored = Path.Combine(root, "sha256", hash[..2], hash[2..4], hash);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(stored, TestContext.Current.CancellationToken));
        Assert.Equal([stored], Directory.GetFiles(root, "*", SearchOption.AllDirectories).Where(p => File.ReadAllBytes(p).AsSpan().SequenceEqual(bytes)));
        Assert.False(Directory.Exists(Path.Combine(root, "uploads", a.ToString("N"))));
        Assert.False(Directory.Exists(Path.Combine(root, "uploads", b.ToString("N"))));
        Assert.Equal(2L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM inspection_photo WHERE sha256 = $1 AND received_at IS NOT NULL", Convert.FromHexString(hash)));
        using var client = f.Client();
        Assert.Equal(bytes, await client.GetByteArrayAsync($"/api/inspections/{b}/photos/{second.Id}"));
    }
}
