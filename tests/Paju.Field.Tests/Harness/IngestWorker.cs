using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Paju.Field.Tests.Harness;

/// <summary>A real `paju ingest` process on an external broker, with its output kept for the test to read.</summary>
public sealed partial class IngestWorker : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private IngestWorker(ChildProcess process) => _process = process;

    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    /// <summary>The highest "N stored" the worker has logged.</summary>
    public long StoredSoFar => StoredLine().Matches(Output).Select(m => long.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();

    public static IngestWorker Start(string connectionString, int brokerPort, string user, string password, string clientId, string dataDirectory,
        string subscription = "shared")
    {
        var start = new ProcessStartInfo("dotnet",
        [
            PajuCli.Dll, "ingest", "--db", connectionString, "--data", dataDirectory,
            "--broker", $"127.0.0.1:{brokerPort}", "--user", user, "--client-id", clientId, .. SubscriptionArguments(subscription),
        ]);
        start.Environment["Paju__Mqtt__Password"] = password;
        return new IngestWorker(ChildProcess.Start(start));
    }

    /// <summary>"shared", "exclusive", or "partitioned:K/N".</summary>
    private static string[] SubscriptionArguments(string subscription) => subscription.Split(':') switch
    {
        ["partitioned", var partition] => ["--subscription", "partitioned", "--partition", partition],
        _ => ["--subscription", subscription],
    };

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

    public void Kill9() => _process.Kill9();

    public Task StopAsync() => _process.StopAsync();

    public Task StopCleanlyAsync() => _process.StopCleanlyAsync();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"Ingest(?: stopped)?: (\d+) stored")]
    private static partial Regex StoredLine();
}
