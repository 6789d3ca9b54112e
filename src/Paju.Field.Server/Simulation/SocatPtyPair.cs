using System.Diagnostics;

namespace Paju.Field.Server.Simulation;

/// <summary>
/// Two pseudo-terminals joined back to back by socat: a real serial device pair without hardware.
/// What one end writes the other reads, through the kernel's tty layer as a USB RS-485 adapter's
/// bytes would be. Used by the demo (simulated controllers on one end, the bridge on the other)
/// and by the tests.
/// </summary>
public sealed class SocatPtyPair : IDisposable
{
    private readonly Process _socat;

    private SocatPtyPair(Process socat, string a, string b)
    {
        _socat = socat;
        A = a;
        B = b;
    }

    public string A { get; }

    public string B { get; }

    public static bool IsAvailable => Environment.GetEnvironmentVariable("PATH")?.Split(':').Any(d => File.Exists(Path.Combine(d, "socat"))) == true;

    /// <summary>Starts socat and waits until both links exist.</summary>
    public static SocatPtyPair Start(string a, string b, TimeSpan? timeout = null)
    {
        foreach (var link in new[] { a, b })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(link))!);
            File.Delete(link);
        }
        var start = new ProcessStartInfo("socat") { UseShellExecute = false };
        foreach (var arg in new[] { $"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={b}" })
        {
            start.ArgumentList.Add(arg);
        }
        var socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start");
        var deadline = Stopwatch.StartNew();
        while (!(File.Exists(a) && File.Exists(b)))
        {
            if (socat.HasExited)
            {
                throw new InvalidOperationException($"socat exited with {socat.ExitCode} before making {a} and {b}");
            }
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
            {
                socat.Kill();
                throw new TimeoutException($"socat did not make {a} and {b} within {(timeout ?? TimeSpan.FromSeconds(10)).TotalSeconds} s");
            }
            Thread.Sleep(10);
        }
        return new SocatPtyPair(socat, a, b);
    }

    public void Dispose()
    {
        try
        {
            if (!_socat.HasExited)
            {
                _socat.Kill();
                _socat.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _socat.Dispose();
    }
}
