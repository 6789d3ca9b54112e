using System.Diagnostics;
using System.Text;

namespace Paju.Field.Tests.Harness;

/// <summary>A real `paju serve` process, for tests that kill it.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string connectionString, int httpPort, int mqttPort, string dataDirectory)
    {
        var process = Process.Start(new ProcessStartInfo("dotnet",
        [
            PajuCli.Dll, "serve", "--db", connectionString, "--data", dataDirectory,
            "--http", $"127.0.0.1:{httpPort}", "--mqtt", $"127.0.0.1:{mqttPort}",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(process.HasExited, $"paju serve exited: {server.Output}");
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

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public void Kill9()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                Kill9();
            }
        }
        _process.Dispose();
    }
}
