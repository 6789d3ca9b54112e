using Paju.Field.Server.Database;

namespace Paju.Field.Tests.Harness;

/// <summary>Runs the real <c>paju</c> program (the built paju.dll beside the tests) as a separate process.</summary>
public static class PajuCli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "paju.dll");

    public static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, string? stdin = null, string? runAs = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default) =>
        stdin is null
            ? ProcessRunner.RunAsync("dotnet", [Dll, .. arguments], runAs, environment, ct)
            : ProcessRunner.RunAsync("sh", ["-c", "printf '%s\\n' \"$0\" | dotnet \"$@\"", stdin, Dll, .. arguments], runAs, environment, ct);
}
