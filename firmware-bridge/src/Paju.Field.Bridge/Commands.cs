using System.Globalization;
using Paju.Field.Bridge.Config;

namespace Paju.Field.Bridge;

/// <summary>The validate and status commands: plain text for a technician's terminal.</summary>
public static class Commands
{
    public static int Validate(FileInfo file)
    {
        BridgeConfig config;
        try
        {
            config = BridgeConfig.Load(file.FullName);
        }
        catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"오류 {e.Message}");
            return 1;
        }
        var problems = ConfigValidator.Validate(config);
        foreach (var problem in problems)
        {
            (problem.IsError ? Console.Error : Console.Out).WriteLine($"{file.Name}: {problem}");
        }
        var errors = problems.Count(p => p.IsError);
        var slaves = config.Lines.Sum(l => l.Slaves.Count);
        Console.WriteLine(errors == 0
            ? $"{file.Name}: 사용 가능 — 회선 {config.Lines.Count}개, 제어반 {slaves}대, 모델 {config.Models.Count}개, 주의 {problems.Count - errors}건"
            : $"{file.Name}: 오류 {errors}건, 주의 {problems.Count - errors}건 — 고치기 전에는 게이트웨이가 시작하지 않습니다");
        return errors == 0 ? 0 : 1;
    }

    public static int Status(FileInfo file)
    {
        BridgeStatus status;
        string path;
        try
        {
            path = BridgeConfig.Load(file.FullName).StatusFile;
            status = BridgeStatus.Read(path);
        }
        catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"상태를 읽을 수 없습니다: {e.Message}");
            return 2;
        }
        var age = DateTimeOffset.UtcNow - status.WrittenAt;
        Console.WriteLine($"게이트웨이 상태 {path} — pid {status.ProcessId}, {Ago(age)} 전에 기록");
        var stale = age > TimeSpan.FromSeconds(10);
        if (stale)
        {
            Console.WriteLine("  주의: 10초 넘게 갱신되지 않았습니다. 게이트웨이가 멈췄거나 실행 중이 아닙니다 (systemctl status paju-bridge).");
        }
        foreach (var line in status.Lines)
        {
            Console.WriteLine($"회선 {line.Name} ({line.Serial}): {(line.Open ? "열림" : "열 수 없음: " + line.OpenError)}, 폴링 {line.Cycles:N0}회, " +
                $"마지막 주기 {line.LastCycleMs:F1} ms / 간격 {line.PollIntervalMs} ms");
            foreach (var d in status.Devices.Where(d => d.Line == line.Name))
            {
                var lastGood = d.LastGoodPoll is { } t ? Ago(status.WrittenAt - t) + " 전" : "없음";
                Console.WriteLine($"  {d.Device} (slave {d.Slave}, {d.Site}): {(d.Online ? "응답" : "무응답")}, 마지막 정상 폴링 {lastGood}, " +
                    $"정상 {d.GoodPolls:N0} / 실패 {d.FailedPolls:N0}");
                Console.WriteLine($"    오류: {string.Join(", ", d.Faults.Select(f => $"{f.Key} {f.Value:N0}"))}, 범위 밖 값 {d.RejectedValues:N0}");
                foreach (var u in d.Uplinks)
                {
                    var label = u.Name == "broker" ? "MQTT" : "IoT Hub";
                    var oldest = u.OldestPendingAt is { } o && u.Pending > 0 ? $" (가장 오래된 것 {Ago(status.WrittenAt - o)} 전)" : "";
                    Console.WriteLine($"    {label} {u.Endpoint}: {(u.Connected ? "연결됨" : "끊김" + (u.Error is null ? "" : $" ({u.Error})"))}, " +
                        $"대기열 {u.Pending:N0}건 {u.QueueBytes / 1024.0:N0} KiB{oldest}{(u.Replaying && u.Pending > 0 ? ", 재전송 중" : "")}");
                    Console.WriteLine($"      전송 {u.Published:N0} (재전송 {u.Replayed:N0}), 한도로 버림 {u.Dropped:N0}, 거부 {u.Refused:N0}, 기록 실패 {u.Unqueued:N0}, " +
                        $"디스크 확정 {u.CommittedLsn:N0}/{u.LastLsn:N0}");
                }
                if (d.LastError is not null)
                {
                    Console.WriteLine($"    마지막 오류 ({d.LastErrorAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}): {d.LastError}");
                }
            }
        }
        foreach (var r in status.Readers ?? [])
        {
            var lastRead = r.LastReadAt is { } t ? Ago(status.WrittenAt - t) + " 전" : "없음";
            Console.WriteLine($"판독기 {r.Name} ({r.Kind}, {r.Serial}, 장치 {r.Device}): {(r.Open ? "열림" : "열 수 없음")}, 읽음 {r.Reads:N0}, " +
                $"체크인 {r.CheckIns:N0}, 반복 억제 {r.Suppressed:N0}, 마지막 읽음 {lastRead}");
            if (r.Errors.Count > 0)
            {
                Console.WriteLine($"    오류: {string.Join(", ", r.Errors.Select(e => $"{e.Key} {e.Value:N0}"))}; 마지막: {r.LastError}");
            }
            foreach (var u in r.Uplinks)
            {
                Console.WriteLine($"    {(u.Name == "broker" ? "MQTT" : "IoT Hub")} {u.Endpoint}: {(u.Connected ? "연결됨" : "끊김")}, 대기열 {u.Pending:N0}건, 전송 {u.Published:N0} (재전송 {u.Replayed:N0})");
            }
        }
        return stale ? 2 : status.Devices.All(d => d.Online) && (status.Readers ?? []).All(r => r.Open) ? 0 : 1;
    }

    private static string Ago(TimeSpan span) => span.TotalSeconds < 90 ? $"{span.TotalSeconds:F1}초" : span.TotalMinutes < 90 ? $"{span.TotalMinutes:F0}분" : $"{span.TotalHours:F1}시간";
}
