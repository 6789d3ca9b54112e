using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// Phones with one bar of signal: JSON (the field snapshot, OGC items), scripts, styles and the QR decoder's WebAssembly
/// go Brotli- or gzip-compressed when the client asks for it. Not HTML pages (they carry anti-forgery tokens: BREACH),
/// not the live feed (an event stream must not be held back to fill a compression block), not tiles, PDFs or photos.
/// </summary>
public static class Compression
{
    public static readonly string[] MimeTypes =
    [
        "application/json", "application/geo+json", "application/problem+json", "application/schema+json", "application/manifest+json",
        "text/javascript", "application/javascript", "text/css", "application/wasm", "image/svg+xml", "text/csv",
    ];

    public static IServiceCollection AddCompression(this IServiceCollection services)
    {
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = MimeTypes;
        });
        // Fastest: on two cores the server compresses every response as it goes; the big gain is any compression at all.
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return services;
    }
}
