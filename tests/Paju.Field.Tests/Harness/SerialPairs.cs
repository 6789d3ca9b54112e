using Microsoft.Extensions.Logging;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;

namespace Paju.Field.Tests.Harness;

/// <summary>socat pty pairs for serial tests: a real tty on each end, no hardware.</summary>
public static class SerialPairs
{
    public static SocatPtyPair Start(string name)
    {
        Requires.Tool("socat", "apt-get install socat");
        var dir = TempDirectory.Create("paju-serial-");
        return SocatPtyPair.Start(Path.Combine(dir, $"{name}-a"), Path.Combine(dir, $"{name}-b"));
    }
}

/// <summary>An ILogger that keeps what was logged, for tests that check a log line was written.</summary>
public sealed class ListLogger : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}

/// <summary>Runs the real <c>paju-bridge</c> program (built beside the tests) as a separate process.</summary>
public static class BridgeCli
{
    /// <summary>
    /// The bridge's own build output, not the copy beside the tests: the tests' ASP.NET Core framework
    /// reference leaves the bridge's hosting packages out of this folder.
    /// </summary>
    public static string Dll
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return Path.Combine(SharedData.RepositoryRoot(), "firmware-bridge", "src", "Paju.Field.Bridge", "bin", tfm.Parent!.Name, tfm.Name, "paju-bridge.dll");
        }
    }

    /// <summary>`paju-bridge run CONFIG` as a process of its own, to be stopped or killed.</summary>
    public static ChildProcess Start(string configFile) => ChildProcess.Start(new System.Diagnostics.ProcessStartInfo("dotnet", [Dll, "run", configFile]));

    /// <summary>
    /// The status the running bridge wrote, once it satisfies <paramref name="condition"/> (two minutes at most); the bridge
    /// must not exit meanwhile, nor <paramref name="alsoCheck"/> fail. A file caught mid-write is read again.
    /// </summary>
    public static async Task<Paju.Field.Bridge.BridgeStatus> WaitForStatusAsync(ChildProcess bridge, string statusFile,
        Func<Paju.Field.Bridge.BridgeStatus, bool> condition, string what, Action? alsoCheck = null)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            Assert.False(bridge.HasExited, $"the bridge exited while waiting for {what}:\n{bridge.Output}");
            alsoCheck?.Invoke();
            try
            {
                if (File.Exists(statusFile) && Paju.Field.Bridge.BridgeStatus.Read(statusFile) is var status && condition(status))
                {
                    return status;
                }
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"waited two minutes for {what}:\n{bridge.Output}");
            await Task.Delay(100);
        }
    }

    public static Task<Paju.Field.Server.Database.ProcessResult> RunAsync(params string[] arguments) =>
        Paju.Field.Server.Database.ProcessRunner.RunAsync("dotnet", [Dll, .. arguments], null, null, default);
}
