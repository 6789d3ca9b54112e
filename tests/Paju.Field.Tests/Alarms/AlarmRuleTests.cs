using Paju.Field.Server.Alarms;

namespace Paju.Field.Tests.Alarms;

/// <summary>Each rule type raises after its on-delay and clears past its deadband — no flapping on a wave.</summary>
public sealed class AlarmRuleTests(AlarmFixture alarms) : IClassFixture<AlarmFixture>
{
    private static DateTimeOffset At(int seconds) => AlarmFixture.T0.AddSeconds(seconds);

    [Theory]
    [InlineData(AlarmRuleKinds.High, "hi_level_m", 5.0, 5.2, 4.8, 4.6)]
    [InlineData(AlarmRuleKinds.HighHigh, "hihi_level_m", 6.0, 6.5, 5.8, 5.6)]
    [InlineData(AlarmRuleKinds.Low, "lo_level_m", 1.0, 0.8, 1.2, 1.4)]
    public async Task Raises_after_the_on_delay_and_clears_only_past_the_deadband(string kind, string metric, double threshold, double alarming, double insideDeadband, double clear)
    {
        var rule = await alarms.RuleAsync($"{kind}-test", kind, metric, threshold, deadband: 0.3, onDelay: 60);

        await alarms.ReadingAsync(metric, alarming, At(0));
        await alarms.Evaluator.EvaluateAsync(At(0), default);
        await alarms.Evaluator.EvaluateAsync(At(30), default);
        Assert.Equal(0L, await alarms.OpenAlarmsAsync(rule));   // not yet: the on-delay is 60 s

        await alarms.Evaluator.EvaluateAsync(At(61), default);
        Assert.Equal(1L, await alarms.OpenAlarmsAsync(rule));

        await alarms.ReadingAsync(metric, insideDeadband, At(70));
        await alarms.Evaluator.EvaluateAsync(At(70), default);
        Assert.Equal(1L, await alarms.OpenAlarmsAsync(rule));   // back over the threshold but inside the deadband: still on

        await alarms.ReadingAsync(metric, clear, At(80));
        await alarms.Evaluator.EvaluateAsync(At(80), default);
        Assert.Equal(0L, await alarms.OpenAlarmsAsync(rule));

        // A wave: in and out of the alarm band faster than the on-delay raises nothing.
        await alarms.ReadingAsync(metric, alarming, At(90));
        await alarms.Evaluator.EvaluateAsync(At(90), default);
        await alarms.ReadingAsync(metric, clear, At(100));
        await alarms.Evaluator.EvaluateAsync(At(100), default);
        await alarms.ReadingAsync(metric, alarming, At(110));
        await alarms.Evaluator.EvaluateAsync(At(110), default);
        await alarms.Evaluator.EvaluateAsync(At(160), default);
        Assert.Equal(1L, await alarms.AlarmsAsync(rule));
    }

    [Fact]
    public async Task Rate_of_rise_in_metres_per_hour_raises_and_clears()
    {
        var rule = await alarms.RuleAsync("rise-test", AlarmRuleKinds.RateOfRise, "rise_level_m", 2.0, deadband: 0.5, window: 600);
        await alarms.ReadingAsync("rise_level_m", 1.0, At(1000));
        await alarms.ReadingAsync("rise_level_m", 1.5, At(1600));   // +0.5 m in 10 min = 3 m/h
        await alarms.Evaluator.EvaluateAsync(At(1600), default);
        Assert.Equal(1L, await alarms.OpenAlarmsAsync(rule));
        Assert.Equal(3.0, await alarms.Db.ScalarAsync<double>("SELECT raised_value FROM alarm WHERE rule_id = $1", rule), 3);

        await alarms.ReadingAsync("rise_level_m", 1.55, At(2200));  // +0.05 m in the last 10 min = 0.3 m/h
        await alarms.Evaluator.EvaluateAsync(At(2200), default);
        Assert.Equal(0L, await alarms.OpenAlarmsAsync(rule));
    }

    [Fact]
    public async Task No_data_for_N_seconds_raises_and_a_new_reading_clears()
    {
        var rule = await alarms.RuleAsync("nodata-test", AlarmRuleKinds.NoData, "quiet_level_m", 300);
        await alarms.ReadingAsync("quiet_level_m", 2.0, At(3000));
        await alarms.Evaluator.EvaluateAsync(At(3100), default);
        Assert.Equal(0L, await alarms.OpenAlarmsAsync(rule));
        await alarms.Evaluator.EvaluateAsync(At(3301), default);
        Assert.Equal(1L, await alarms.OpenAlarmsAsync(rule));

        await alarms.ReadingAsync("quiet_level_m", 2.1, At(3400));
        await alarms.Evaluator.EvaluateAsync(At(3401), default);
        Assert.Equal(0L, await alarms.OpenAlarmsAsync(rule));
    }

    [Fact]
    public async Task A_device_gone_offline_raises_and_its_return_clears()
    {
        var rule = await alarms.RuleAsync("offline-test", AlarmRuleKinds.Offline, null, null, priority: 1);
        await alarms.Db.ExecuteAsync("UPDATE device SET online = false WHERE id = $1", alarms.DeviceId);
        await alarms.Evaluator.EvaluateAsync(At(4000), default);
        Assert.Equal(1L, await alarms.OpenAlarmsAsync(rule));

        await alarms.Db.ExecuteAsync("UPDATE device SET online = true WHERE id = $1", alarms.DeviceId);
        await alarms.Evaluator.EvaluateAsync(At(4010), default);
        Assert.Equal(0L, await alarms.OpenAlarmsAsync(rule));
        Assert.Equal(1L, await alarms.Db.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'alarm.cleared' AND entity_id = (SELECT id::text FROM alarm WHERE rule_id = $1)", rule));
    }
}
