using System.Diagnostics;
using System.Net.Sockets;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// A real mosquitto for a test: its own folder (config, password file, ACL, persistence) and port.
/// Stop is a clean SIGTERM (mosquitto saves its persistence file); Kill is SIGKILL.
/// </summary>
public sealed class Mosquitto : IAsyncDisposable
{
    private Process? _process;

    private Mosquitto(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    public string ConfigFile => Path.Combine(Directory, "mosquitto.conf");

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    private string LogFile => Path.Combine(Directory, "mosquitto.log");

    /// <summary>Starts mosquitto on the mosquitto.conf already written into <paramref name="directory"/> (by paju broker config).</summary>
    public static async Task<Mosquitto> StartAsync(string directory, int port)
    {
        Requires.Tool("mosquitto", "apt-get install mosquitto");
        if (Environment.IsPrivilegedProcess)
        {
            // As root mosquitto would switch to its own user, which cannot write the test's folder.
            await File.AppendAllTextAsync(Path.Combine(directory, "mosquitto.conf"), "\nuser root\n");
        }
        await File.AppendAllTextAsync(Path.Combine(directory, "mosquitto.conf"), $"\nlog_dest file {Path.Combine(directory, "mosquitto.log")}\n");
        var broker = new Mosquitto(directory, port);
        await broker.StartAsync();
        return broker;
    }

    public async Task StartAsync()
    {
        _process = Process.Start(new ProcessStartInfo("mosquitto", ["-c", ConfigFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"mosquitto did not start: {await _process.StandardError.ReadToEndAsync()}\n{Log}");
            }
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }
}
