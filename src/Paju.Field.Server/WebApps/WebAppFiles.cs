using System.Collections.Concurrent;
using System.Text.Json;

namespace Paju.Field.Server.WebApps;

/// <summary>
/// The built web apps: maps/ is bundled into maps/dist and copied beside the binary as wwwroot/
/// (pages/, assets/, manifest.json). Pages are templates read once; assets are served from disk.
/// Without a web build the server still serves its APIs and says, on the pages, how to build them.
/// </summary>
public sealed class WebAppFiles
{
    private readonly ConcurrentDictionary<string, string> _pages = new();
    private readonly HashSet<string> _known;

    public WebAppFiles(ILogger<WebAppFiles> log)
    {
        Root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        var manifest = Path.Combine(Root, "manifest.json");
        if (!File.Exists(manifest))
        {
            log.LogWarning("No web build at {Root}: the pages (sign-in, control room, inspector app) are missing. Build them with ./paju (npm in maps/)", Root);
            _known = [];
            return;
        }
        using var document = JsonDocument.Parse(File.ReadAllBytes(manifest));
        _known = [.. document.RootElement.GetProperty("pages").EnumerateArray()
            .Select(p => $"{p.GetProperty("app").GetString()}/{p.GetProperty("name").GetString()}")];
        log.LogInformation("Web apps from {Root}: {Pages}", Root, string.Join(", ", _known.Order()));
    }

    public string Root { get; }

    public string AssetsDirectory => Path.Combine(Root, "assets");

    public bool Has(string app, string page = "index") => _known.Contains($"{app}/{page}");

    /// <summary>A built page's HTML (with its {{slots}} still in it), or null when the build lacks it.</summary>
    public string? Page(string app, string page = "index") =>
        Has(app, page) ? _pages.GetOrAdd($"{app}/{page}", _ => File.ReadAllText(Path.Combine(Root, "pages", app, page + ".html"))) : null;
}
