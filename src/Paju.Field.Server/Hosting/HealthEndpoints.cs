using System.Text.Json.Serialization;
using Npgsql;
using Paju.Field.Server.Database;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// GET /health: 200 when every dependency answers, 503 otherwise, with what failed, so a load
/// balancer and a person on call read the same answer.
/// </summary>
public static class HealthEndpoints
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/health", async (NpgsqlDataSource db, IServiceProvider services, CancellationToken requestAborted) =>
        {
            var database = await CheckDatabaseAsync(db, requestAborted);
            var broker = CheckBroker(services);
            var healthy = database.Status == "ok" && broker.Status is "ok" or "external";
            var body = new
            {
                status = healthy ? "ok" : "unavailable",
                time = DateTimeOffset.UtcNow,
                database,
                broker,
            };
            return healthy ? Results.Json(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous();

    public sealed record DatabaseHealth(
        string Status,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Server = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PostGis = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? SchemaVersion = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null);

    public sealed record BrokerHealth(
        string Status,
        string Mode,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Endpoint = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Stored = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Duplicates = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? DeadLetters = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Waiting = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? NewestValuesWaiting = null);

    /// <summary>The embedded broker's state and what the ingest stored since start; "external" when devices use another broker.</summary>
    private static BrokerHealth CheckBroker(IServiceProvider services)
    {
        var options = services.GetRequiredService<Ingest.MqttOptions>();
        if (!options.Embedded)
        {
            return new BrokerHealth("external", "external", options.Endpoint);
        }
        var broker = services.GetRequiredService<Ingest.EmbeddedBroker>();
        var pipeline = services.GetRequiredService<Ingest.IngestPipeline>();
        return new BrokerHealth(broker.IsRunning ? "ok" : "unavailable", "embedded", options.Endpoint,
            pipeline.Stored, pipeline.Duplicates, pipeline.DeadLetters, pipeline.Waiting, pipeline.Newest.Waiting);
    }

    private static async Task<DatabaseHealth> CheckDatabaseAsync(NpgsqlDataSource db, CancellationToken requestAborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await using var conn = await db.OpenConnectionAsync(timeout.Token);
            await using var cmd = new NpgsqlCommand(
                "SELECT current_setting('server_version'), postgis_lib_version(), (SELECT max(version) FROM schema_migration)", conn);
            await using var reader = await cmd.ExecuteReaderAsync(timeout.Token);
            await reader.ReadAsync(timeout.Token);
            var version = reader.GetInt32(2);
            return version == Migrator.LatestVersion
                ? new DatabaseHealth("ok", reader.GetString(0), reader.GetString(1), version)
                : new DatabaseHealth("unavailable", reader.GetString(0), reader.GetString(1), version,
                    $"schema version {version}, this server needs {Migrator.LatestVersion}: run 'paju db migrate'");
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            return new DatabaseHealth("unavailable", Error: e is OperationCanceledException
                ? $"no answer within {CheckTimeout.TotalSeconds:0} s"
                : e.Message);
        }
    }
}
