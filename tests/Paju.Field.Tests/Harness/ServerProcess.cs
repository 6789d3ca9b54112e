using System.Diagnostics;

namespace Paju.Field.Tests.Harness;

/// <summary>A real `paju serve` process, for tests that kill it.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ServerProcess(ChildProcess process) => _process = process;

    public string Output => _process.Output;

    public static async Task<ServerProcess> StartAsync(string connectionString, int httpPort, int mqttPort, string dataDirectory)
    {
        var server = new ServerProcess(ChildProcess.Start(new ProcessStartInfo("dotnet",
        [
            PajuCli.Dll, "serve", "--db", connectionString, "--data", dataDirectory,
            "--http", $"127.0.0.1:{httpPort}", "--mqtt", $"127.0.0.1:{mqttPort}",
        ])));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(server._process.HasExited, $"paju serve exited: {server.Output}");
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
            Assert.True(DateTime.UtcNow < deadline, $"paju serve never became healthy: {server.Output}");
            await Task.Delay(100);
        }
    }

    public void Kill9() => _process.Kill9();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
