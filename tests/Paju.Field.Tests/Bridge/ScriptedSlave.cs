using Paju.Field.Modbus;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// The far end of a pty played by the test: reads each request and answers with whatever bytes
/// the script returns for it (null: silence). For the bad replies a real line produces.
/// </summary>
public sealed class ScriptedSlave : IDisposable
{
    private readonly SerialLine _line;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly List<byte[]> _requests = [];

    public ScriptedSlave(SerialSettings settings, Func<byte[], byte[]?> script)
    {
        _line = new SerialLine(settings);
        _thread = new Thread(() => Serve(script)) { IsBackground = true, Name = "scripted slave" };
        _thread.Start();
    }

    public IReadOnlyList<byte[]> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    private void Serve(Func<byte[], byte[]?> script)
    {
        var buffer = new byte[RtuFrame.MaxLength];
        while (!_stop.IsCancellationRequested)
        {
            var length = _line.Read(buffer, LineClock.After(TimeSpan.FromMilliseconds(100)));
            if (length == 0)
            {
                continue;
            }
            while (RtuFrame.RequestLength(buffer.AsSpan(0, length)) is not { } n || length < n)
            {
                var more = _line.Read(buffer.AsSpan(length), LineClock.After(TimeSpan.FromMilliseconds(100)));
                if (more == 0)
                {
                    break;
                }
                length += more;
            }
            var request = buffer.AsSpan(0, length).ToArray();
            lock (_requests)
            {
                _requests.Add(request);
            }
            if (script(request) is { } reply)
            {
                _line.Write(reply);
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(2));
        _line.Dispose();
        _stop.Dispose();
    }
}
