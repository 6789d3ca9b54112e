using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Paju.Field.Server.Alarms;
using Paju.Field.Server.Ingest;
using Paju.Field.Server.Simulation;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Simulation;

/// <summary>The plant model: rain → inflow → level through the stage–storage curve → pumps by level; deterministic.</summary>
public sealed class UlgokPlantTests
{
    private static UlgokPlant Run(RainScenario scenario, TimeSpan until, int seed = 1)
    {
        var plant = new UlgokPlant(scenario, seed);
        while (plant.Elapsed < until)
        {
            plant.Step(TimeSpan.FromSeconds(10));
        }
        return plant;
    }

    [Fact]
    public void A_typhoon_fills_the_basin_past_3_5_m_and_starts_the_pumps_in_order()
    {
        var plant = new UlgokPlant(RainScenario.Typhoon, 1);
        var firstStart = new Dictionary<int, TimeSpan>();
        var maxLevel = 0.0;
        while (plant.Elapsed < TimeSpan.FromHours(4))
        {
            plant.Step(TimeSpan.FromSeconds(10));
            maxLevel = Math.Max(maxLevel, plant.Main.LevelM);
            foreach (var pump in plant.Main.Pumps.Where(p => p.Running && !firstStart.ContainsKey(p.Number)))
            {
                firstStart[pump.Number] = plant.Elapsed;
            }
        }
        Assert.True(maxLevel > 3.5, $"the basin only reached {maxLevel:F2} m");
        Assert.True(firstStart[1] < firstStart[2] && firstStart[2] < firstStart[3] && firstStart[3] < firstStart[4]);
        Assert.True(plant.Main.Pumps[1].Fault);   // pump 2 faults at 2.5 h
        Assert.False(plant.Main.Pumps[1].Running);
    }

    [Fact]
    public void The_level_follows_the_stage_storage_curve()
    {
        var plant = Run(RainScenario.Typhoon, TimeSpan.FromHours(3));
        var h = plant.Main.LevelM;
        var volume = 40_000 * h + (264_157 - 240_000) / 36.0 * h * h;
        Assert.Equal(plant.Main.VolumeM3, volume, 0.5);
    }

    [Fact]
    public void The_same_seed_gives_the_same_night()
    {
        var a = Run(RainScenario.Typhoon, TimeSpan.FromHours(3), seed: 7).Main.Readings("basin");
        var b = Run(RainScenario.Typhoon, TimeSpan.FromHours(3), seed: 7).Main.Readings("basin");
        Assert.Equal(a.Numbers, b.Numbers);
        Assert.Equal(a.Flags, b.Flags);
    }

    [Fact]
    public void Calm_weather_keeps_the_basin_low()
    {
        Assert.True(Run(RainScenario.Calm, TimeSpan.FromHours(12)).Main.LevelM < 2.0);
    }
}

/// <summary>The typhoon scenario, published over MQTT as the two controllers, raises the high-level alarm.</summary>
public sealed class TyphoonScenarioTests(PostgisServer server) : IAsyncLifetime
{
    private readonly TestDatabase _db = new(server);
    private TestServer _server = null!;
    private int _port;

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        _port = MqttDevice.FreePort();
        _server = await TestServer.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Mqtt:Embedded"] = "true",
            ["Paju:Mqtt:Endpoint"] = $"127.0.0.1:{_port}",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task The_typhoon_raises_the_high_level_alarm()
    {
        var plant = new UlgokPlant(RainScenario.Typhoon, 1);
        var secrets = await SimulatorSetup.EnsureAsync(_db.DataSource, plant, default);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var simulator = new Simulator(plant, "127.0.0.1", _port, secrets, NullLogger.Instance) { Speed = 3600, Interval = TimeSpan.FromMilliseconds(100) };
        var run = simulator.RunAsync(stop.Token);
        while (plant.Elapsed < TimeSpan.FromHours(3.2))
        {
            Assert.False(run.IsCompleted, "the simulator stopped early");
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await run;
        // The newest values follow the readings' commits.
        await _server.Services.GetRequiredService<IngestPipeline>().Newest.WrittenAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var evaluator = _server.Services.GetRequiredService<AlarmEvaluator>();
        var now = DateTimeOffset.UtcNow;
        await evaluator.EvaluateAsync(now, default);
        await evaluator.EvaluateAsync(now.AddSeconds(31), default);   // the rule's 30 s on-delay

        Assert.True(await _db.ScalarAsync<double>("""
            SELECT (l.value #>> '{}')::float8 FROM latest_metric l JOIN device d ON d.id = l.device
            WHERE d.device_id = 'ulgok-ps1-plc' AND l.metric = 'basin_level_m'
            """) > 3.5);
        Assert.Equal(1L, await _db.ScalarAsync<long>("""
            SELECT count(*) FROM alarm a JOIN alarm_rule r ON r.id = a.rule_id WHERE r.code = 'ULGOK-PS1-LEVEL-HIGH' AND a.cleared_at IS NULL
            """));
        Assert.Equal(1L, await _db.ScalarAsync<long>("""
            SELECT count(*) FROM alarm a JOIN alarm_rule r ON r.id = a.rule_id WHERE r.code = 'ULGOK-PS1-PUMP2-FAULT'
            """));
    }
}
