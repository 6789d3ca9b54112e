using System.Diagnostics;
using System.Text;
using Paju.Field.Bridge.Modbus;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;

namespace Paju.Field.Bench;

/// <summary>
/// The bridge's RTU master against the project's slave on a socat pty pair, the slave keeping the
/// wire time of every byte at the configured baud plus a 10 ms device turnaround. Beside each
/// measured figure, the line's theoretical capacity from the same wire times: request and reply on
/// the wire, turnaround, and the 3.5-character silence after each frame. What the measured time per
/// transaction has above the theoretical one is the software's overhead (master, slave, ptys).
/// </summary>
public static class ModbusBench
{
    public sealed record Options(int[] Bauds, int Registers, TimeSpan Turnaround, TimeSpan Duration, string ReportFile);

    private sealed record Row(int Baud, long Transactions, TimeSpan Elapsed, TimeSpan Theoretical, Samples PerTransaction);

    public static int Run(Options options)
    {
        if (!SocatPtyPair.IsAvailable)
        {
            Console.Error.WriteLine("socat is not installed (apt-get install socat): the benchmark needs a pty pair.");
            return 2;
        }
        var rows = options.Bauds.Select(baud => Measure(baud, options)).ToList();
        var request = 8;
        var reply = 5 + options.Registers * 2;
        var table = new StringBuilder();
        table.AppendLine("| baud | theoretical per transaction | line capacity | measured | p50 / p95 per transaction | share of capacity | software overhead (mean / p95) |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var measured = r.Transactions / r.Elapsed.TotalSeconds;
            var capacity = 1 / r.Theoretical.TotalSeconds;
            var mean = r.Elapsed.TotalMilliseconds / r.Transactions;
            table.AppendLine($"| {r.Baud:N0} | {r.Theoretical.TotalMilliseconds:F2} ms | {capacity:F1} tx/s | {measured:F1} tx/s | " +
                $"{r.PerTransaction.Percentile(50):F2} / {r.PerTransaction.Percentile(95):F2} ms | {measured / capacity:P1} | " +
                $"{mean - r.Theoretical.TotalMilliseconds:F2} / {r.PerTransaction.Percentile(95) - r.Theoretical.TotalMilliseconds:F2} ms |");
        }
        var worstShare = rows.Min(r => r.Transactions / r.Elapsed.TotalSeconds * r.Theoretical.TotalSeconds);
        var worstOverhead = rows.Max(r => r.Elapsed.TotalMilliseconds / r.Transactions - r.Theoretical.TotalMilliseconds);
        var markdown = $"""
            ## Modbus RTU: bridge master against a wire-time slave

            - Machine: {Machine.Describe()}
            - Command: `./paju bench modbus` — function 03 reading {options.Registers} holding registers ({request} B request, {reply} B reply), 8E1,
              {options.Turnaround.TotalMilliseconds:F0} ms device turnaround, {options.Duration.TotalSeconds:F0} s per baud, one transaction after another; run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.
            - The slave (the project's, on one end of a socat pty pair) replies after the request's wire time, t3.5, the turnaround and the reply's
              wire time (bytes × 11 / baud); the master (the bridge's, on the other end) keeps t3.5 of silence before each request.
              Theoretical = request and reply wire time + turnaround + 2 × t3.5 (t3.5 = 1.75 ms above 19,200 baud).

            {table}
            Goals: ≥ 80% of capacity — **{(worstShare >= 0.8 ? "met" : "not met")}** (lowest {worstShare:P1});
            ≤ 2 ms software overhead per transaction — **{(worstOverhead <= 2 ? "met" : "not met")}** (highest mean {worstOverhead:F2} ms).
            """;
        Report.WriteSection(options.ReportFile, "modbus", markdown);
        Console.WriteLine($"Written to {options.ReportFile}");
        return 0;
    }

    private static Row Measure(int baud, Options options)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"paju-bench-modbus-{Environment.ProcessId}");
        using var pair = SocatPtyPair.Start(Path.Combine(dir, $"slave-{baud}"), Path.Combine(dir, $"master-{baud}"));
        var bank = new RegisterBank();
        bank.Update((holding, _) =>
        {
            for (var i = 0; i < holding.Length; i++)
            {
                holding[i] = (ushort)(i * 7);
            }
        });
        using var slaveLine = new SerialLine(new SerialSettings { Port = pair.A, Baud = baud });
        var slave = new RtuSlave(slaveLine, new Dictionary<byte, RegisterBank> { [1] = bank }, options.Turnaround);
        using var stop = new CancellationTokenSource();
        var serving = new Thread(() => slave.Run(stop.Token)) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        serving.Start();
        try
        {
            using var line = new SerialLine(new SerialSettings { Port = pair.B, Baud = baud });
            var master = new ModbusRtuMaster(line, TimeSpan.FromSeconds(1), retries: 0);
            var count = (ushort)options.Registers;
            for (var i = 0; i < 20; i++)
            {
                master.ReadRegisters(1, ModbusFunction.ReadHoldingRegisters, 0, count);
            }
            var samples = new Samples($"{baud} baud");
            var started = Stopwatch.StartNew();
            long transactions = 0;
            while (started.Elapsed < options.Duration)
            {
                var t = Stopwatch.GetTimestamp();
                var registers = master.ReadRegisters(1, ModbusFunction.ReadHoldingRegisters, 0, count);
                samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (registers[^1] != (count - 1) * 7)
                {
                    throw new InvalidOperationException("the slave returned wrong values");
                }
                transactions++;
            }
            var elapsed = started.Elapsed;
            var theoretical = new RtuTiming(baud).Transaction(8, 5 + count * 2, options.Turnaround);
            Console.WriteLine($"{baud,6} baud: {transactions / elapsed.TotalSeconds:F1} tx/s, theoretical {1 / theoretical.TotalSeconds:F1} tx/s, " +
                $"mean overhead {elapsed.TotalMilliseconds / transactions - theoretical.TotalMilliseconds:F2} ms");
            return new Row(baud, transactions, elapsed, theoretical, samples);
        }
        finally
        {
            stop.Cancel();
            serving.Join();
        }
    }
}
