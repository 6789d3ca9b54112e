using System.Diagnostics;

namespace Paju.Field.Server.Database;

public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The most useful text for a person when the command failed.</summary>
    public string Explanation => string.IsNullOrWhiteSpace(StandardError) ? StandardOutput.Trim() : StandardError.Trim();
}

/// <summary>
/// Runs the PostgreSQL command-line tools. As root, PostgreSQL refuses to run, so those
/// tools run as the <c>postgres</c> account through <c>runuser</c>.
/// </summary>
public static class ProcessRunner
{
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    public static async Task<ProcessResult> RunAsync(
        string file,
        IEnumerable<string> arguments,
        string? runAsUser = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken ct = default)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // A relative working directory the other account cannot enter breaks its tools.
            WorkingDirectory = "/",
        };
        if (runAsUser is null)
        {
            start.FileName = file;
        }
        else
        {
            start.FileName = "runuser";
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(runAsUser);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Could not start {file}.");
        // Read both streams concurrently: a tool that fills one pipe while we wait on the other hangs.
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
