using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Tests.Harness;

/// <summary>The real server on a real loopback port (port 0 → a free one), as a browser or GDAL would reach it.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private TestServer(WebApplication app, string dataDirectory, Uri baseAddress)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Every address the server listens on (HTTP first; HTTPS too when configured).</summary>
    public IReadOnlyList<string> Addresses => ServerHost.ListeningAddresses(_app);

    public string DataDirectory => _dataDirectory;

    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(string connectionString, IDictionary<string, string?>? settings = null)
    {
        var dataDirectory = TempDirectory.Create("paju-server-");
        var values = new Dictionary<string, string?>
        {
            ["Paju:Http"] = "127.0.0.1:0",
            ["Paju:DataDirectory"] = dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            // Tests that need the embedded broker turn it on with a free port of their own.
            ["Paju:Mqtt:Embedded"] = "false",
            // Alarm tests evaluate at instants of their choosing.
            ["Paju:Alarms:EvaluateSeconds"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var app = ServerHost.Build(configuration, connectionString);
        await app.StartAsync();
        var address = ServerHost.ListeningAddresses(app).First(a => a.StartsWith("http://", StringComparison.Ordinal));
        return new TestServer(app, dataDirectory, new Uri(address));
    }

    public HttpClient CreateClient(HttpMessageHandler? handler = null) =>
        new(handler ?? new HttpClientHandler { UseCookies = true }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}
