using System.Diagnostics;
using System.Text;

namespace Paju.Field.Tests.Harness;

/// <summary>A real `paju-bridge run` process: stopped with SIGTERM like systemd, or killed with SIGKILL like a power cut of the process.</summary>
public sealed class BridgeProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private BridgeProcess(Process process) => _process = process;

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

    public static BridgeProcess Start(string configFile)
    {
        var process = Process.Start(new ProcessStartInfo("dotnet", [BridgeCli.Dll, "run", configFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var bridge = new BridgeProcess(process);
        process.OutputDataReceived += (_, e) => bridge.Append(e.Data);
        process.ErrorDataReceived += (_, e) => bridge.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return bridge;
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
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (TimeoutException)
        {
            Kill();
        }
        _process.Dispose();
    }
}
