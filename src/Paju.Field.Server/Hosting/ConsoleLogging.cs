namespace Paju.Field.Server.Hosting;

/// <summary>
/// One line per event with a local timestamp for a person at a terminal, or JSON lines for a
/// log collector (Paju:LogFormat = json). Framework chatter is kept to warnings in appsettings.json.
/// </summary>
public static class ConsoleLogging
{
    public static void Configure(ILoggingBuilder logging, string format)
    {
        logging.ClearProviders();
        if (format == "json")
        {
            logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffzzz";
                o.IncludeScopes = true;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            });
        }
    }
}
