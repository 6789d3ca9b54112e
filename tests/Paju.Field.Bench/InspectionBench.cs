using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Database;
using SkiaSharp;

namespace Paju.Field.Bench;

/// <summary>
/// Inspections as the field sends them: concurrent inspectors each submitting monthly checks with three photos of
/// about 300 KB, every photo in 256 KB chunks, end to end; beside, in the same run, the same photo bytes written
/// straight to the data disk (hash, write, fsync) — the floor no server can go under.
/// </summary>
public static class InspectionBench
{
    public sealed record Options(int Inspections, int Clients, int PhotosEach, int PhotoBytes, string? ConnectionString, string DataDirectory, string ReportFile);

    private const int Chunk = 256 * 1024;

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_inspections");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        await BenchRegistry.GenerateAsync(db, Math.Max(1_000, options.Inspections + 100), Console.WriteLine);
        var versions = await database.ServerVersionAsync(db);
        var (tokens, codes) = await PrepareAsync(db, options.Clients, options.Inspections);

        var serverData = Path.Combine(options.DataDirectory, "inspection-server");
        if (Directory.Exists(serverData))
        {
            Directory.Delete(serverData, recursive: true);
        }
        await using var server = await BenchServer.StartAsync(connectionString, serverData);
        var basePhoto = NoiseJpeg(options.PhotoBytes);
        Console.WriteLine($"{options.Inspections} inspections × {options.PhotosEach} photos of {basePhoto.Length / 1024} KB from {options.Clients} clients");

        // Each phone has its photos and their SHA-256 ready before it sends (it hashed them when they were taken).
        var warmCount = WarmInspections(options);
        var warmWork = Prepare([.. codes.Take(warmCount)], options.PhotosEach, basePhoto);
        var work = Prepare([.. codes.Skip(warmCount).Take(options.Inspections)], options.PhotosEach, basePhoto);
        // Warm the server (JIT, pools) on a few inspections that are not counted.
        await RunAsync(server.Address, tokens, warmWork, new Samples("warm"), new Samples("warm"));
        var put = new Samples("put");
        var chunk = new Samples("chunk");
        var clock = Stopwatch.StartNew();
        await RunAsync(server.Address, tokens, work, put, chunk);
        var elapsed = clock.Elapsed;
        var stored = await CountAsync(db, "SELECT count(*) FROM inspection_photo WHERE received_at IS NOT NULL") - warmCount * options.PhotosEach;
        var inspections = await CountAsync(db, "SELECT count(*) FROM inspection") - warmCount;
        Console.WriteLine($"  end to end: {elapsed.TotalSeconds:F2} s; {inspections} inspections and {stored} photos stored");

        // The floor: the same bytes hashed, written and fsynced on the same disk, one writer per client.
        var floorDirectory = Path.Combine(options.DataDirectory, "inspection-floor");
        Directory.CreateDirectory(floorDirectory);
        var floorClock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(c => Task.Run(async () =>
        {
            for (var i = c; i < options.Inspections * options.PhotosEach; i += options.Clients)
            {
                var bytes = Unique(basePhoto, Guid.NewGuid());
                var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
                await using var file = new FileStream(Path.Combine(floorDirectory, sha), FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
                await file.WriteAsync(bytes);
                file.Flush(flushToDisk: true);
            }
        })));
        var floor = floorClock.Elapsed;
        Directory.Delete(floorDirectory, recursive: true);
        Console.WriteLine($"  floor (hash + write + fsync, no server): {floor.TotalSeconds:F2} s");

        var megabytes = (double)options.Inspections * options.PhotosEach * basePhoto.Length / 1048576;
        var ok = inspections == options.Inspections && stored == options.Inspections * options.PhotosEach;
        var markdown = $"""
            ## Inspections: submissions with photos, end to end

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench inspections` ({options.Inspections} inspections, {options.PhotosEach} photos of {basePhoto.Length / 1024} KB each, {options.Clients} concurrent clients)
            - Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Each client is an inspector with a bearer token: `PUT /api/inspections/{"{id}"}` (a monthly
              check, the photos announced with their SHA-256), then each photo in 256 KB chunks (`PUT …/photos/{"{photo}"}` with `Content-Range`), as
              the app does; every photo distinct (so content addressing stores each), hashed, type-checked and EXIF-read by the server, and fsynced.
              The photos and their SHA-256 are ready before the clock starts, as on a phone that hashed each when it was taken.
            - {WarmInspections(options)} inspections are sent first and not counted: a warm server (compiled code, full pools) is measured, not its start.
            - Baseline, same run: the same bytes hashed, written and fsynced straight to the same disk by as many writers, without any server.

            | measure | value |
            |---|---|
            | end to end | **{elapsed.TotalSeconds:F2} s** ({inspections} inspections, {stored} photos, {megabytes:N0} MB; {megabytes / elapsed.TotalSeconds:N0} MB/s) |
            | baseline: the bytes to disk alone | {floor.TotalSeconds:F2} s — ratio {elapsed.TotalSeconds / floor.TotalSeconds:F1} |
            | `PUT /api/inspections/{"{id}"}` p50 / p95 / p99 | {put.Percentile(50):F2} / {put.Percentile(95):F2} / {put.Percentile(99):F2} ms (n = {put.Count}) |
            | photo chunk p50 / p95 / p99 | {chunk.Percentile(50):F2} / {chunk.Percentile(95):F2} / {chunk.Percentile(99):F2} ms (n = {chunk.Count}) |

            Goal: {options.Inspections} inspections with {options.PhotosEach} photos of 300 KB from {options.Clients} clients in ≤ 10 s — {elapsed.TotalSeconds:F2} s: **{(elapsed.TotalSeconds <= 10 && ok ? "met" : "not met")}**{(ok ? "" : " (not everything was stored)")}.
            """;
        Report.WriteSection(options.ReportFile, "inspections", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return ok ? 0 : 1;
    }

    /// <summary>Inspections sent before the clock starts, so the run measures a warm server (its code compiled, its pools full), not start-up.</summary>
    private static int WarmInspections(Options options) => Math.Min(100, Math.Max(options.Clients, options.Inspections / 5));

    private sealed record PhotoToSend(Guid Id, byte[] Bytes, string Sha256);

    private sealed record Inspection(string Code, List<PhotoToSend> Photos);

    private static List<Inspection> Prepare(List<string> codes, int photosEach, byte[] basePhoto) =>
        [.. codes.Select(code => new Inspection(code, [.. Enumerable.Range(0, photosEach).Select(_ =>
        {
            var bytes = Unique(basePhoto, Guid.NewGuid());
            return new PhotoToSend(Guid.NewGuid(), bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        })]))];

    private static async Task RunAsync(Uri address, List<string> tokens, List<Inspection> work, Samples put, Samples chunk)
    {
        var next = -1;
        await Task.WhenAll(tokens.Select(token => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            int i;
            while ((i = Interlocked.Increment(ref next)) < work.Count)
            {
                var id = Guid.NewGuid();
                var photos = work[i].Photos;
                var body = new
                {
                    program = "playground-monthly",
                    programVersion = 1,
                    subject = new { kind = "playground", code = work[i].Code },
                    answers = new { joints = "양호", wear = "양호", deformation = "요주의", cleanliness = "양호", signs = "양호", ancillary = "양호", site_photo = photos[0].Id },
                    grade = "요주의",
                    notes = "벤치 점검",
                    startedAt = DateTimeOffset.UtcNow.AddMinutes(-15),
                    finishedAt = DateTimeOffset.UtcNow.AddMinutes(-1),
                    photos = photos.Select(p => new { id = p.Id, sha256 = p.Sha256, bytes = p.Bytes.Length, source = "device" }),
                };
                var one = Stopwatch.StartNew();
                using (var response = await http.PutAsJsonAsync($"/api/inspections/{id}", body))
                {
                    if ((int)response.StatusCode != 201)
                    {
                        throw new InvalidOperationException($"PUT inspection: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                }
                Add(put, one.Elapsed.TotalMilliseconds);
                foreach (var (photoId, bytes, _) in photos)
                {
                    for (var from = 0; from < bytes.Length; from += Chunk)
                    {
                        var to = Math.Min(from + Chunk, bytes.Length);
                        using var content = new ByteArrayContent(bytes, from, to - from);
                        content.Headers.ContentRange = new ContentRangeHeaderValue(from, to - 1, bytes.Length);
                        one.Restart();
                        using var response = await http.PutAsync($"/api/inspections/{id}/photos/{photoId}", content);
                        if ((int)response.StatusCode is not (201 or 202))
                        {
                            throw new InvalidOperationException($"photo chunk: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        }
                        Add(chunk, one.Elapsed.TotalMilliseconds);
                    }
                }
            }
        })));
    }

    private static void Add(Samples samples, double ms)
    {
        lock (samples)
        {
            samples.Add(ms);
        }
    }

    /// <summary>Inspectors with tokens, and the playground codes to inspect (one inspection each).</summary>
    private static async Task<(List<string> Tokens, List<string> Codes)> PrepareAsync(NpgsqlDataSource db, int clients, int inspections)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var tokens = new List<string>();
        for (var i = 0; i < clients; i++)
        {
            var user = await UserStore.CreateAsync(conn, tx, $"bench.field{i:00}", $"점검원 {i}", Roles.Inspector, "bench-password-42", default);
            tokens.Add((await ApiTokens.IssueAsync(conn, tx, user.Id, "bench", TimeSpan.FromHours(4), default)).Token);
        }
        var codes = new List<string>();
        await using (var cmd = new NpgsqlCommand($"SELECT code FROM asset WHERE kind = 'playground' ORDER BY id LIMIT {inspections + 100}", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                codes.Add(reader.GetString(0));
            }
        }
        await tx.CommitAsync();
        return (tokens, codes);
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>A phone-sized JPEG of noise, at least <paramref name="bytes"/> long.</summary>
    private static byte[] NoiseJpeg(int bytes)
    {
        for (var side = (int)Math.Sqrt(bytes / 1.2); ; side += 16)
        {
            using var bitmap = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque);
            var pixels = new byte[side * side * 4];
            new Random(42).NextBytes(pixels);
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
            if (data.Size >= bytes)
            {
                return data.ToArray();
            }
        }
    }

    /// <summary>The same picture with a comment segment naming it, so every photo has its own SHA-256.</summary>
    private static byte[] Unique(byte[] jpeg, Guid id)
    {
        var comment = new byte[4 + 16];
        comment[0] = 0xFF;
        comment[1] = 0xFE;
        BinaryPrimitives.WriteUInt16BigEndian(comment.AsSpan(2), 18);
        id.TryWriteBytes(comment.AsSpan(4));
        return [.. jpeg[..2], .. comment, .. jpeg[2..]];
    }
}
