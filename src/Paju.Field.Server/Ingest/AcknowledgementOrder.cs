namespace Paju.Field.Server.Ingest;

/// <summary>How the broker in front of the pipeline acknowledges what it was sent (see IngestPipeline's lanes).</summary>
public enum AcknowledgementOrder
{
    /// <summary>Each device on its own connection, its PUBACKs in its own order (the embedded broker).</summary>
    PerDevice,

    /// <summary>One connection carries every device and is acknowledged in arrival order (a `paju ingest` worker).</summary>
    PerConnection,
}
