using System.Text;
using System.Threading.Channels;
using Npgsql;

namespace Paju.Field.Server.Live;

/// <summary>One event of the live log, already written out as the SSE text every client receives.</summary>
public sealed record LiveEvent(long Id, string Type, byte[] Sse)
{
    public static LiveEvent Of(long id, string type, string payload) =>
        new(id, type, Encoding.UTF8.GetBytes($"id: {id}\nevent: {type}\ndata: {OneLine(payload)}\n\n"));

    /// <summary>An SSE data line ends at a line break; in JSON text one can only be whitespace between tokens.</summary>
    private static string OneLine(string json) => json.AsSpan().IndexOfAny('\r', '\n') < 0 ? json : json.Replace('\r', ' ').Replace('\n', ' ');
}

/// <summary>
/// One reader of the live_event log per server process: woken by NOTIFY (<see cref="LiveFeed"/>), it reads
/// each new event once and hands it to every connected SSE client through that client's bounded buffer.
/// A slow or stuck client never holds up the others: past its buffer it is cut off with a 'reset' and
/// reloads the snapshot. The log's ids follow commit order, so reading "after the last id" misses nothing.
/// </summary>
public sealed class LiveHub(NpgsqlDataSource db, LiveFeed feed, LiveOptions options, ILogger<LiveHub> log) : BackgroundService
{
    private const int PageSize = 500;

    private readonly object _gate = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _position;

    /// <summary>A client's place on the hub: events after <see cref="From"/> arrive in <see cref="Events"/>.</summary>
    public sealed class Subscriber(LiveHub hub, long from, int capacity) : IDisposable
    {
        private readonly Channel<LiveEvent> _events = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,   // never blocks here: the hub only uses TryWrite
        });

        /// <summary>The hub had handed out every event up to this id when the client joined.</summary>
        public long From { get; } = from;

        public ChannelReader<LiveEvent> Events => _events.Reader;

        /// <summary>Set when the client fell a whole buffer behind and was cut off.</summary>
        public bool Overflowed { get; private set; }

        internal void Offer(LiveEvent e)
        {
            if (!Overflowed && !_events.Writer.TryWrite(e))
            {
                Overflowed = true;
                _events.Writer.TryComplete();
            }
        }

        public void Dispose() => hub.Leave(this);
    }

    /// <summary>The last id handed out (every event up to it has gone to every client).</summary>
    public long Position => Volatile.Read(ref _position);

    public Task Ready => _ready.Task;

    public int Clients
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    public async Task<Subscriber> JoinAsync(CancellationToken ct)
    {
        await _ready.Task.WaitAsync(ct);
        lock (_gate)
        {
            var subscriber = new Subscriber(this, _position, options.ClientBufferEvents);
            _subscribers.Add(subscriber);
            return subscriber;
        }
    }

    private void Leave(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscriber);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!_ready.Task.IsCompleted && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                _position = await LiveEndpoints.CurrentIdAsync(db, stoppingToken);
                _ready.TrySetResult();
            }
            catch (NpgsqlException e)
            {
                log.LogWarning("Live feed cannot read the event log yet ({Reason}); trying again in 2 s", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var changed = feed.Changed;
            int read;
            try
            {
                read = await ReadAndHandOutAsync(stoppingToken);
            }
            catch (NpgsqlException e)
            {
                log.LogWarning("Live feed could not read the event log ({Reason}); clients wait, nothing is skipped; retrying in 1 s", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }
            if (read < PageSize)
            {
                // Woken by NOTIFY; the timeout only covers a lost notification connection.
                await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(options.HeartbeatSeconds), stoppingToken));
            }
        }
    }

    private async Task<int> ReadAndHandOutAsync(CancellationToken ct)
    {
        var events = new List<LiveEvent>();
        await using (var cmd = db.CreateCommand($"SELECT id, type, payload::text FROM live_event WHERE id > $1 ORDER BY id LIMIT {PageSize}"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = Volatile.Read(ref _position) });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                events.Add(LiveEvent.Of(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }
        }
        if (events.Count == 0)
        {
            return 0;
        }
        lock (_gate)
        {
            foreach (var e in events)
            {
                foreach (var subscriber in _subscribers)
                {
                    subscriber.Offer(e);
                }
            }
            Volatile.Write(ref _position, events[^1].Id);
        }
        return events.Count;
    }
}
