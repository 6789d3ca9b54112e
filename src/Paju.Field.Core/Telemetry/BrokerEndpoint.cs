using System.Globalization;

namespace Paju.Field.Telemetry;

/// <summary>A broker address as it is configured, HOST:PORT, read the same way by the server, its workers and the edge bridge.</summary>
public static class BrokerEndpoint
{
    /// <summary>Splits at the last colon; the port is decimal digits, 0–65535 (0: any free port, for a broker that listens).</summary>
    public static bool TryParse(string? endpoint, out string host, out int port)
    {
        var colon = endpoint?.LastIndexOf(':') ?? -1;
        if (colon > 0 && int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535)
        {
            host = endpoint![..colon];
            return true;
        }
        (host, port) = ("", 0);
        return false;
    }
}
