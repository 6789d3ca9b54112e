using System.Text;

namespace Paju.Field.Tests.Harness;

/// <summary>Reads a text/event-stream as a browser's EventSource would: events with id, type and data.</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    public sealed record Event(long Id, string Type, string Data);

    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    public int Heartbeats { get; private set; }

    /// <summary>The next event, skipping comments (heartbeats) and the retry line.</summary>
    public async Task<Event> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        long id = 0;
        string type = "message";
        var data = new StringBuilder();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("the stream ended");
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    return new Event(id, type, data.ToString());
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                Heartbeats++;
            }
            else if (line.StartsWith("id: "))
            {
                id = long.Parse(line[4..]);
            }
            else if (line.StartsWith("event: "))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: "))
            {
                data.Append(line[6..]);
            }
        }
    }

    public void Dispose() => _reader.Dispose();
}
