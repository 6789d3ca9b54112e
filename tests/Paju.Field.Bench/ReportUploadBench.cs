using System.Diagnostics;
using System.Net;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Database;
using Paju.Field.Server.Tags;
using SkiaSharp;

namespace Paju.Field.Bench;

/// <summary>
/// A citizen's report with 5 photos (as the page sends them after making them smaller on the phone) over an emulated weak
/// 4G link — the uplink's rate and the round trips applied to the request as it is written — from the tap on "신고 보내기"
/// to the receipt page, beside the same post over the loopback (the server's own share) and the wire time the link allows.
/// </summary>
public static class ReportUploadBench
{
    public sealed record Options(int Runs, double UplinkMbps, double DownlinkMbps, int RttMs, int PhotoKb, string? ConnectionString, string DataDirectory, string ReportFile);

    public static async Task<int> RunAsync(Options options)
    {
        await using var database = await BenchDatabase.OpenAsync(options.ConnectionString, options.DataDirectory);
        Console.WriteLine($"Database: {database.Description}");
        var connectionString = await database.CreateAsync("bench_reports");
        await using var db = DatabaseSession.CreateDataSource(connectionString);
        var versions = await database.ServerVersionAsync(db);
        await BenchRegistry.GenerateAsync(db, 10, _ => { });
        var keyFile = Path.Combine(options.DataDirectory, "report-keys", "tags.json");
        Tag plate;
        await using (var conn = await db.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            var code = (string)(await new Npgsql.NpgsqlCommand("SELECT code FROM asset WHERE kind = 'playground' ORDER BY id LIMIT 1", conn, tx).ExecuteScalarAsync())!;
            var asset = await AssetRef.ResolveAsync(conn, tx, code, null, default);
            plate = await TagStore.AddAsync(conn, tx, new TagKeyStore(keyFile), asset, "qr", null, null, Actor.System("bench"), default);
            await tx.CommitAsync();
        }
        var photos = Enumerable.Range(1, 5).Select(i => Photo(options.PhotoKb * 1024, i)).ToArray();
        var bytes = photos.Sum(p => p.Length);
        Console.WriteLine($"5 photos, {bytes / 1024.0 / 1024:F2} MB in all; link: up {options.UplinkMbps} Mbit/s, down {options.DownlinkMbps} Mbit/s, RTT {options.RttMs} ms");

        await using var server = await BenchServer.StartAsync(connectionString, Path.Combine(options.DataDirectory, "server-reports"),
            extra: new() { ["Paju:Tags:KeyFile"] = keyFile });
        var emulated = new Samples("4G");
        var loopback = new Samples("loopback");
        for (var run = 0; run < options.Runs + 1; run++)
        {
            // Each run from an address of its own: the per-address limit is the product's, not the benchmark's.
            var host = (byte)(20 + run);
            var fast = await PostAsync(server.Address, plate.Id, photos, host, link: null);
            var slow = await PostAsync(server.Address, plate.Id, photos, (byte)(100 + run), link: options);
            if (run > 0)   // the first is a warm-up
            {
                loopback.Add(fast);
                emulated.Add(slow);
            }
        }
        var wire = bytes * 8.0 / (options.UplinkMbps * 1e6) * 1000 + 3 * options.RttMs;
        Console.WriteLine($"  5 photos over the emulated link: median {emulated.Percentile(50) / 1000:F1} s (the link alone allows {wire / 1000:F1} s); loopback {loopback.Percentile(50):F0} ms");
        var markdown = $"""
            ## A citizen's report with 5 photos over weak 4G

            - Machine: {Machine.Describe()}; {versions}
            - Command: `./paju bench report-upload` ({options.Runs} runs after one to warm up)
            - Run: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. The multipart post of `/t/{"{tag}"}/report` with 5 photos of {options.PhotoKb} KB each
              ({bytes / 1024.0 / 1024:F2} MB: what the page sends after making a camera's photos smaller on the phone), then the 303 and the receipt page.
              Emulated link: uplink {options.UplinkMbps} Mbit/s paced as the request is written, downlink {options.DownlinkMbps} Mbit/s, {options.RttMs} ms added per
              round trip (connection, request, the receipt page). The wire time is what that link allows for the bytes alone.

            | path | n | p50 | max |
            |---|---|---|---|
            | emulated weak 4G, tap to receipt | {emulated.Count} | {emulated.Percentile(50) / 1000:F2} s | {emulated.Percentile(100) / 1000:F2} s |
            | the link's own wire time for the same bytes | — | {wire / 1000:F2} s | — |
            | the same post over the loopback (the server's share) | {loopback.Count} | {loopback.Percentile(50):F0} ms | {loopback.Percentile(100):F0} ms |

            The server adds {(emulated.Percentile(50) - wire) / 1000:F2} s to the link's wire time at the median.
            """;
        Report.WriteSection(options.ReportFile, "report-upload", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return 0;
    }

    private static async Task<double> PostAsync(Uri server, string tag, byte[][] photos, byte host, Options? link)
    {
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (context, ct) =>
            {
                if (link is not null)
                {
                    await Task.Delay(link.RttMs, ct);   // the TCP handshake's round trip
                }
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, host]), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromMinutes(5) };
        using var form = new MultipartFormDataContent
        {
            { new StringContent("미끄럼틀 계단 발판이 빠져 있습니다. 사진 5장을 보냅니다."), "description" },
            { new StringContent("no"), "injured" },
        };
        for (var i = 0; i < photos.Length; i++)
        {
            var content = new ByteArrayContent(photos[i]);
            content.Headers.ContentType = new("image/jpeg");
            form.Add(content, "photos", $"photo-{i + 1}.jpg");
        }
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync($"/t/{tag}/report", link is null ? form : new PacedContent(form, link.UplinkMbps, link.RttMs));
        if (response.StatusCode != HttpStatusCode.SeeOther)
        {
            throw new InvalidOperationException($"The report was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var receipt = await http.GetByteArrayAsync(response.Headers.Location);
        if (link is not null)
        {
            await Task.Delay(link.RttMs + (int)(receipt.Length * 8.0 / (link.DownlinkMbps * 1e6) * 1000));
        }
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>The request body written no faster than the uplink allows, after a round trip for the request itself.</summary>
    private sealed class PacedContent : HttpContent
    {
        private readonly HttpContent inner;
        private readonly double mbps;
        private readonly int rttMs;

        public PacedContent(HttpContent inner, double mbps, int rttMs)
        {
            (this.inner, this.mbps, this.rttMs) = (inner, mbps, rttMs);
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var body = await inner.ReadAsByteArrayAsync();
            await Task.Delay(rttMs / 2);
            var clock = Stopwatch.StartNew();
            const int chunk = 16 * 1024;
            for (var sent = 0; sent < body.Length; sent += chunk)
            {
                var length = Math.Min(chunk, body.Length - sent);
                await stream.WriteAsync(body.AsMemory(sent, length));
                var due = (sent + length) * 8.0 / (mbps * 1e6);
                var ahead = due - clock.Elapsed.TotalSeconds;
                if (ahead > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(ahead));
                }
            }
            await Task.Delay(rttMs / 2);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A photo-like JPEG of about the given size: soft noise over a gradient, as a resized phone photo compresses.</summary>
    private static byte[] Photo(int approximateBytes, int seed)
    {
        var random = new Random(seed);
        var (width, height) = (2048, 1536);
        for (var quality = 90; ; quality -= 10)
        {
            using var bitmap = new SKBitmap(width, height);
            var pixels = new byte[width * height * 4];
            random.NextBytes(pixels);
            for (var i = 0; i < pixels.Length; i += 4)
            {
                var x = i / 4 % width;
                pixels[i] = (byte)(80 + x * 100 / width + pixels[i] % 40);
                pixels[i + 1] = (byte)(120 + pixels[i + 1] % 40);
                pixels[i + 2] = (byte)(60 + pixels[i + 2] % 40);
                pixels[i + 3] = 255;
            }
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Jpeg, quality);
            if (data.Size <= approximateBytes * 1.3 || quality <= 20)
            {
                return data.ToArray();
            }
        }
    }
}
