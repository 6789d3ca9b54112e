using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Paju.Field.Tests.Harness;

/// <summary>A real `paju ingest` process on an external broker, with its output kept for the test to read.</summary>
public sealed partial class IngestWorker : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private IngestWorker(Process process) => _process = process;

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

    public bool HasExited => _process.HasExited;

    /// <summary>The highest "N stored" the worker has logged.</summary>
    public long StoredSoFar => StoredLine().Matches(Output).Select(m => long.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();

    public static IngestWorker Start(string connectionString, int brokerPort, string user, string password, string clientId, string dataDirectory,
        string subscription = "shared")
    {
        var start = new ProcessStartInfo("dotnet",
        [
            PajuCli.Dll, "ingest", "--db", connectionString, "--data", dataDirectory,
            "--broker", $"127.0.0.1:{brokerPort}", "--user", user, "--client-id", clientId, "--subscription", subscription,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Paju__Mqtt__Password"] = password;
        var process = Process.Start(start)!;
        var worker = new IngestWorker(process);
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
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

    /// <summary>Waits until the worker says it reads the broker.</summary>
    public async Task WaitUntilReadingAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!Output.Contains(" reading "))
        {
            Assert.False(_process.HasExited, $"paju ingest exited: {Output}");
            Assert.True(DateTime.UtcNow < deadline, $"paju ingest never subscribed: {Output}");
            await Task.Delay(100);
        }
    }

    public void Kill9()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (TimeoutException)
        {
            Kill9();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"Ingest(?: stopped)?: (\d+) stored")]
    private static partial Regex StoredLine();
}
