using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// An HTTP/1.1 POST whose body arrives slowly, as from a phone on a weak signal: chunked, with
/// <c>Expect: 100-continue</c> so that the server's "100 Continue" proves the request is in the application
/// (reading its body) before the test goes on. The body is leading JSON whitespace until the JSON itself is sent,
/// fast enough to stay above Kestrel's minimum request body data rate.
/// </summary>
public sealed class SlowRequest : IDisposable
{
    private const int PaddingChunk = 200;
    private static readonly TimeSpan PaddingInterval = TimeSpan.FromMilliseconds(100);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private SlowRequest(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public void Dispose() => _tcp.Dispose();

    /// <summary>Sends the headers and returns once the server asked for the body.</summary>
    public static async Task<SlowRequest> StartAsync(int port, string path, CancellationToken ct)
    {
        var tcp = new TcpClient();
        SlowRequest? request = null;
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
            request = new SlowRequest(tcp);
            await request.WriteAsync($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n" +
                                     "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", ct);
            var interim = await request.ReadUntilAsync("\r\n\r\n", ct);
            Assert.StartsWith("HTTP/1.1 100", interim);
            return request;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Keeps the body coming for <paramref name="stretch"/>, then sends <paramref name="json"/> and returns the whole response.</summary>
    public async Task<string> FinishAsync(byte[] json, TimeSpan stretch, CancellationToken ct)
    {
        var padding = new string(' ', PaddingChunk);
        var until = DateTime.UtcNow + stretch;
        while (DateTime.UtcNow < until)
        {
            await WriteChunkAsync(Encoding.ASCII.GetBytes(padding), ct);
            await Task.Delay(PaddingInterval, ct);
        }
        await WriteChunkAsync(json, ct);
        await WriteAsync("0\r\n\r\n", ct);
        using var reader = new StreamReader(_stream, Encoding.UTF8, leaveOpen: true);
        return await reader.ReadToEndAsync(ct).WaitAsync(TimeSpan.FromMinutes(1), ct);
    }

    private async Task WriteChunkAsync(byte[] data, CancellationToken ct)
    {
        await WriteAsync($"{data.Length:X}\r\n", ct);
        await _stream.WriteAsync(data, ct);
        await WriteAsync("\r\n", ct);
    }

    private Task WriteAsync(string text, CancellationToken ct) => _stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask();

    /// <summary>Reads byte by byte up to and including <paramref name="end"/>, so nothing after it is consumed.</summary>
    private async Task<string> ReadUntilAsync(string end, CancellationToken ct)
    {
        var read = new StringBuilder();
        var one = new byte[1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        while (!read.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            if (await _stream.ReadAsync(one, timeout.Token) == 0)
            {
                throw new IOException($"the server closed the connection after: {read}");
            }
            read.Append((char)one[0]);
        }
        return read.ToString();
    }
}
