using System.Diagnostics;
using Paju.Field.Server.Import;

namespace Paju.Field.Server.Cli;

/// <summary>
/// A progress bar with rows per second on a terminal; where output is redirected (logs, CI), a plain
/// line every few seconds instead, so a long import still says it is alive.
/// </summary>
public sealed class ConsoleProgress : IProgress<ImportProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private TimeSpan _lastLine = TimeSpan.Zero;
    private bool _drawn;

    public void Report(ImportProgress value)
    {
        var elapsed = _clock.Elapsed;
        var rate = elapsed.TotalSeconds > 0.5 ? value.Rows / elapsed.TotalSeconds : 0;
        if (_terminal)
        {
            const int width = 30;
            var filled = (int)Math.Round(Math.Clamp(value.Fraction, 0, 1) * width);
            Console.Error.Write($"\r{value.Phase} [{new string('#', filled)}{new string('-', width - filled)}] {value.Fraction,4:P0} {value.Rows,12:N0}행 {rate,10:N0}행/초 ");
            _drawn = true;
        }
        else if (elapsed - _lastLine >= TimeSpan.FromSeconds(5))
        {
            Console.Error.WriteLine($"{value.Phase}: {value.Rows:N0}행 ({value.Fraction:P0}, {rate:N0}행/초)");
            _lastLine = elapsed;
        }
    }

    /// <summary>Ends the bar's line so the summary starts on its own.</summary>
    public void Finish()
    {
        if (_drawn)
        {
            Console.Error.WriteLine();
            _drawn = false;
        }
    }
}
