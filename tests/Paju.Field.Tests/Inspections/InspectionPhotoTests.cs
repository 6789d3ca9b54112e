using System.Security.Cryptography;
using System.Text.Json;
using Paju.Field.Tests.Harness;
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
}
