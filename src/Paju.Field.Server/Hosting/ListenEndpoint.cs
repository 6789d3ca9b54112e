using System.Net;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Hosting;

/// <summary>HOST:PORT for a listener: an IP address (0.0.0.0 or [::] for all) or localhost.</summary>
public static class ListenEndpoint
{
    public static bool TryParse(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (!BrokerEndpoint.TryParse(text, out var host, out var port))
        {
            return false;
        }
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? ip : null;
        if (address is null)
        {
            return false;
        }
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    public static IPEndPoint Parse(string text) =>
        TryParse(text, out var endpoint) ? endpoint : throw new PajuSetupException($"'{text}' is not IP:PORT or localhost:PORT.");
}
