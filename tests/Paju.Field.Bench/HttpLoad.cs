using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Paju.Field.Bench;

public sealed record LoadResult(long Requests, TimeSpan Elapsed)
{
    public double PerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>Throughput over HTTP: clients request URLs round-robin as fast as they are answered, for a fixed time.</summary>
public static class HttpLoad
{
    public static async Task<LoadResult> RunAsync(Uri server, string[] urls, int clients, TimeSpan duration)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = server };
        // Warm up: every URL once (fills a cache), and the connections.
        foreach (var url in urls)
        {
            (await http.GetAsync(url)).Dispose();
        }
        long requests = 0;
        var stopwatch = Stopwatch.StartNew();
        var until = stopwatch.Elapsed + duration;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var i = c;
            var buffer = new byte[256 * 1024];
            while (stopwatch.Elapsed < until)
            {
                using var response = await http.GetAsync(urls[i++ % urls.Length], HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync();
                while (await body.ReadAsync(buffer) > 0)
                {
                }
                Interlocked.Increment(ref requests);
            }
        }));
        return new LoadResult(requests, stopwatch.Elapsed);
    }
}

/// <summary>Kestrel with nothing but the static file middleware: the ceiling for serving bytes.</summary>
public sealed class StaticServer(WebApplication app, Uri address) : IAsyncDisposable
{
    public Uri Address { get; } = address;

    public static async Task<StaticServer> StartAsync(string root, params (string Extension, string MediaType)[] types)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var provider = new FileExtensionContentTypeProvider();
        foreach (var (extension, mediaType) in types)
        {
            provider.Mappings[extension] = mediaType;
        }
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(root), ContentTypeProvider = provider });
        await app.StartAsync();
        return new StaticServer(app, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
