using System.Collections.Concurrent;
using System.Net;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// One device connection's publishes whose acknowledgement waits for their commit, by packet identifier.
/// MQTTnet reads a connection's packets one at a time and writes its PUBACKs from a separate send loop. Holding a
/// PUBACK in the send loop, rather than the publish in the receive loop, lets the device's next publishes be read
/// and batched while this one is written; the send loop, one packet after the other, keeps the PUBACKs in the
/// order the publishes arrived, as MQTT requires [MQTT-4.6.0-2].
/// </summary>
internal sealed class HeldAcknowledgements(EndPoint? connection)
{
    /// <param name="Denied">The topic was not the device's to publish on: a dead letter acknowledged as not authorised.</param>
    internal sealed record Held(Task<IngestOutcome> Committed, bool Denied);

    private readonly ConcurrentDictionary<ushort, Held> _byPacket = new();

    /// <summary>The connection these belong to: after a takeover the old connection's send loop must not answer for the new one.</summary>
    public EndPoint? Connection { get; } = connection;

    /// <summary>
    /// The packet identifier of the publish being read: the receive loop sees it before the publish is handed
    /// on without it, and handles one packet at a time, so it is still this publish's when the publish is queued.
    /// </summary>
    public ushort Arriving { get; set; }

    /// <summary>A redelivered publish (same identifier, DUP set) replaces its earlier entry.</summary>
    public void Hold(ushort packetIdentifier, Task<IngestOutcome> committed, bool denied) =>
        _byPacket[packetIdentifier] = new Held(committed, denied);

    public bool TryRelease(ushort packetIdentifier, out Held held) => _byPacket.TryRemove(packetIdentifier, out held!);
}
