using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Paju.Field.Server.Accounts;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Devices;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Alarms;

/// <summary>A device, an operator and a server whose alarm evaluator the tests drive at instants they choose.</summary>
public sealed class AlarmFixture(PostgisServer server) : IAsyncLifetime
{
    public static readonly DateTimeOffset T0 = new(2026, 8, 10, 3, 0, 0, TimeSpan.Zero);   // a typhoon night, 12:00 KST

    public TestDatabase Db { get; } = new(server);

    public TestServer Server { get; private set; } = null!;

    public int DeviceId { get; private set; }

    public string OperatorToken { get; private set; } = "";

    public AlarmEvaluator Evaluator => Server.Services.GetRequiredService<AlarmEvaluator>();

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        DeviceId = (await TestDevices.AddAsync(Db.DataSource, "ulgok-ps1-plc", "ulgok-ps1")).Device.Id;
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            var op = await UserStore.CreateAsync(conn, tx, "operator.kang", "강운영", Roles.Operator, "operator-password-1", default);
            OperatorToken = (await ApiTokens.IssueAsync(conn, tx, op.Id, "test", TimeSpan.FromHours(2), default)).Token;
            await tx.CommitAsync();
        }
        Server = await TestServer.StartAsync(Db.ConnectionString, new Dictionary<string, string?> { ["Paju:Live:HeartbeatSeconds"] = "1" });
    }

    public async Task<int> RuleAsync(string code, string kind, string? metric, double? threshold, double deadband = 0, int onDelay = 0, int priority = 2, int window = 600)
    {
        return await Db.ScalarAsync<int>("""
            INSERT INTO alarm_rule (code, device, metric, kind, threshold, deadband, on_delay_s, window_s, priority, message_ko)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
            """, code, DeviceId, (object?)metric ?? DBNull.Value, kind, (object?)threshold ?? DBNull.Value, deadband, onDelay, window, (short)priority, $"{code} 경보");
    }

    /// <summary>Sets the latest value of a metric (and its history row), as the ingest would.</summary>
    public async Task ReadingAsync(string metric, double value, DateTimeOffset ts)
    {
        await Db.ExecuteAsync("""
            INSERT INTO latest_metric (device, metric, value, ts, received_at, boot, seq, historical)
            VALUES ($1, $2, to_jsonb($3::float8), $4, $4, 1, 0, false)
            ON CONFLICT (device, metric) DO UPDATE SET value = excluded.value, ts = excluded.ts
            """, DeviceId, metric, value, ts);
        var day = ts.UtcDateTime.Date;
        await Db.ExecuteAsync($"""
            CREATE TABLE IF NOT EXISTS telemetry_{day:yyyyMMdd} PARTITION OF telemetry
            FOR VALUES FROM ('{day:yyyy-MM-dd} 00:00+00') TO ('{day.AddDays(1):yyyy-MM-dd} 00:00+00')
            """);
        await Db.ExecuteAsync("""
            INSERT INTO telemetry (device, boot, seq, ts, received_at, historical, metrics)
            VALUES ($1, 1, (SELECT coalesce(max(seq), 0) + 1 FROM telemetry WHERE device = $1), $2, $2, false, jsonb_build_object($3::text, $4::float8))
            """, DeviceId, ts, metric, value);
    }

    public Task<long> OpenAlarmsAsync(int rule) =>
        Db.ScalarAsync<long>("SELECT count(*) FROM alarm WHERE rule_id = $1 AND cleared_at IS NULL", rule);

    public Task<long> AlarmsAsync(int rule) => Db.ScalarAsync<long>("SELECT count(*) FROM alarm WHERE rule_id = $1", rule);

    public HttpClient Operator()
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
