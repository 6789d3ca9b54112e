using System.Diagnostics;
using System.Text;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// A program a test starts (`paju serve`, `paju ingest`, `paju-bridge run`), its output kept for the
/// test's messages; stopped with SIGTERM as systemd does, or killed with SIGKILL as a crash would.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

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

    public int Id => _process.Id;

    public static ChildProcess Start(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start)!;
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
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

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill9()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>
    /// SIGTERM, and the program must end with 0, which is what systemd counts as a clean stop: a non-zero code
    /// means its shutdown was cut short or failed.
    /// </summary>
    public async Task StopCleanlyAsync()
    {
        await StopAsync();
        Assert.True(_process.ExitCode == 0, $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} ended with {_process.ExitCode} after SIGTERM:\n{Output}");
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
}
