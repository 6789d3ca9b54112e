using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Database;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Cli;

/// <summary>
/// What every command shares: configuration (appsettings.json, an optional --config file, the
/// environment, then command-line options, later ones winning), console logging, the database
/// session, and turning a problem a person can fix into one clear line instead of a stack trace.
/// </summary>
public sealed class CliContext
{
    private CliContext(IConfiguration configuration, ILoggerFactory loggers)
    {
        Configuration = configuration;
        Loggers = loggers;
        Options = configuration.ReadPajuOptions<PajuOptions>();
    }

    public IConfiguration Configuration { get; }

    public ILoggerFactory Loggers { get; }

    public PajuOptions Options { get; }

    public ILogger Log(string category) => Loggers.CreateLogger(category);

    public string? ConnectionString => Configuration.GetConnectionString("Paju");

    public Task<DatabaseSession> OpenDatabaseAsync(CancellationToken ct, bool migrate = true) =>
        DatabaseSession.OpenAsync(ConnectionString, Options.DataDirectory, Log("Paju.Database"), migrate, ct);

    /// <summary>Runs a command's body against the configured database (the private cluster started for it and stopped after).</summary>
    public async Task<T> WithDatabaseAsync<T>(CancellationToken ct, Func<NpgsqlDataSource, Task<T>> body)
    {
        await using var session = await OpenDatabaseAsync(ct);
        await using var db = DatabaseSession.CreateDataSource(session.ConnectionString);
        return await body(db);
    }

    /// <summary>Runs a command's writes in one transaction on the configured database, committing only if the body returns.</summary>
    public Task<T> InTransactionAsync<T>(CancellationToken ct, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> body) =>
        WithDatabaseAsync(ct, async db =>
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var result = await body(conn, tx);
            await tx.CommitAsync(ct);
            return result;
        });

    public static CliContext From(ParseResult parse)
    {
        var overrides = new Dictionary<string, string?>();
        void Override(Option<string> option, string key)
        {
            if (parse.GetValue(option) is { } value)
            {
                overrides[key] = value;
            }
        }
        Override(CommonOptions.Data, $"{PajuOptions.Section}:{nameof(PajuOptions.DataDirectory)}");
        Override(CommonOptions.Database, "ConnectionStrings:Paju");
        Override(CommonOptions.Http, $"{PajuOptions.Section}:{nameof(PajuOptions.Http)}");
        Override(CommonOptions.PublicBaseUrl, $"{PajuOptions.Section}:{nameof(PajuOptions.PublicBaseUrl)}");
        Override(CommonOptions.Https, $"{PajuOptions.Section}:{nameof(PajuOptions.Https)}");
        Override(CommonOptions.Certificate, $"{PajuOptions.Section}:{nameof(PajuOptions.CertificateFile)}");
        Override(CommonOptions.Key, $"{PajuOptions.Section}:{nameof(PajuOptions.KeyFile)}");
        Override(CommonOptions.Mqtt, $"{Ingest.MqttOptions.Section}:{nameof(Ingest.MqttOptions.Endpoint)}");

        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true);
        if (parse.GetValue(CommonOptions.Config) is { } configFile)
        {
            var path = Path.GetFullPath(configFile);
            if (!File.Exists(path))
            {
                throw new PajuSetupException($"No configuration file at {path}.");
            }
            builder.AddJsonFile(path, optional: false);
        }
        var configuration = builder.AddEnvironmentVariables().AddInMemoryCollection(overrides).Build();

        var options = configuration.ReadPajuOptions<PajuOptions>();
        var loggers = LoggerFactory.Create(logging =>
        {
            logging.AddConfiguration(configuration.GetSection("Logging"));
            ConsoleLogging.Configure(logging, options.LogFormat);
        });
        return new CliContext(configuration, loggers);
    }

    /// <summary>Runs a command body; a problem a person can fix becomes one line on stderr and exit code 1.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<CliContext, Task<int>> body)
    {
        CliContext? context = null;
        try
        {
            context = From(parse);
            return await body(context);
        }
        catch (Exception e) when (e is PajuSetupException or AccountException or NpgsqlException or OptionsValidationException or Import.ImportException or Tags.TagException or Inspections.ProgramException)
        {
            Console.Error.WriteLine($"오류: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("중단되었습니다.");
            return 130;
        }
        finally
        {
            context?.Loggers.Dispose();
        }
    }
}
