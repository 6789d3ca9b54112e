using System.Diagnostics;

namespace Paju.Field.Tests.Harness;

/// <summary>A real `paju serve` (or `paju demo`) process, for tests that kill it or run it as a person would.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ServerProcess(ChildProcess process) => _process = process;

    public string Output => _process.Output;

    public static async Task<ServerProcess> StartAsync(string connectionString, int httpPort, int mqttPort, string dataDirectory,
        string command = "serve", IEnumerable<string>? options = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet",
        [
            PajuCli.Dll, command, "--db", connectionString, "--data", dataDirectory,
            "--http", $"127.0.0.1:{httpPort}", "--mqtt", $"127.0.0.1:{mqttPort}", .. options ?? [],
        ]);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var server = new ServerProcess(ChildProcess.Start(start));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(server._process.HasExited, $"paju {command} exited: {server.Output}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{httpPort}/health")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"paju {command} never became healthy: {server.Output}");
            await Task.Delay(100);
        }
    }

    public void Kill9() => _process.Kill9();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
