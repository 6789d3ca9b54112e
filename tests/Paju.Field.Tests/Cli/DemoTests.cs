using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using Paju.Field.Server.Database;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Cli;

/// <summary>
/// What a newcomer does first: <c>paju demo</c> with nothing configured starts the private
/// PostGIS, loads the sample, serves /health = 200, gives a working demo login, and on SIGTERM
/// answers the request under way, stops the cluster it started and ends with 0.
/// </summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_with_no_configuration_serves_health_with_the_sample_loaded_and_stops_cleanly()
    {
        if (PostgresBinaries.TryFind() is null)
        {
            Requires.Missing("PostgreSQL with PostGIS is not installed (" + PostgresBinaries.InstallHint + ")");
        }
        var ct = TestContext.Current.CancellationToken;
        var data = TempDirectory.Create("paju-demo-");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [PajuCli.Dll, "demo", "--data", data, "--http", $"127.0.0.1:{port}", "--mqtt", $"127.0.0.1:{FreePort()}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("ConnectionStrings__Paju");
        using var demo = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        demo.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        demo.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        demo.BeginOutputReadLine();
        demo.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var health = await WaitForHealthAsync(client, demo, output, ct);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            var password = (await File.ReadAllTextAsync(Path.Combine(data, "demo-login.txt"), ct)).Trim();
            lock (output)
            {
                Assert.Contains($"demo / {password}", output.ToString());
            }
            var login = await client.PostAsJsonAsync("/api/auth/login", new { username = "demo", password }, ct);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);

            // The city itself is there for a map with no basemap: the outline and the 17 읍면동, public data with its credit line.
            using (var areas = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/ogc/collections/admin_areas/items?limit=100", ct)))
            {
                var features = areas.RootElement.GetProperty("features").EnumerateArray().ToList();
                Assert.Equal(17, features.Count);
                Assert.Contains(features, a => a.GetProperty("properties").GetProperty("name").GetString() == "파평면");
                Assert.All(features, a => Assert.Contains("공공누리 제1유형", a.GetProperty("properties").GetProperty("attribution").GetString()));
            }
            using (var outline = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/ogc/collections/city_outline/items", ct)))
            {
                var only = Assert.Single(outline.RootElement.GetProperty("features").EnumerateArray());
                Assert.Equal("파주시", only.GetProperty("properties").GetProperty("name").GetString());
            }

            var connectionString = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = int.Parse(await File.ReadAllTextAsync(Path.Combine(data, "db-port"), ct)),
                Username = "postgres",
                Password = (await File.ReadAllTextAsync(Path.Combine(data, "db-password"), ct)).Trim(),
                Database = "paju",
                Pooling = false,
            }.ConnectionString;
            await using (var conn = new NpgsqlConnection(connectionString))
            {
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM playground", conn);
                Assert.Equal(719L, (long)(await cmd.ExecuteScalarAsync(ct))!);
                // The sample playground at 파평면's representative point is in 파평면, as an import would have placed it.
                await using var placed = new NpgsqlCommand("""
                    SELECT count(*) FROM asset a JOIN admin_area z ON z.code = a.admin_area_code
                    WHERE a.code = 'ULGOK-PS1' AND z.name = '파평면' AND z.is_sample
                    """, conn);
                Assert.Equal(1L, (long)(await placed.ExecuteScalarAsync(ct))!);

                // The stations' telemetry crossed a serial line: set points exist only as Modbus holding
                // registers, so pump1_start_level_m in PostGIS came through the bridge.
                Requires.Tool("socat", "apt-get install socat");
                await using var modbus = new NpgsqlCommand("""
                    SELECT count(*) FROM latest_metric l JOIN device d ON d.id = l.device
                    WHERE (d.device_id, l.metric) IN (('ulgok-ps1-plc', 'pump1_start_level_m'), ('ulgok-ps2-plc', 'pump1_start_level_m'))
                    """, conn);
                var deadline = DateTime.UtcNow.AddMinutes(2);
                while ((long)(await modbus.ExecuteScalarAsync(ct))! < 2 || !File.Exists(Path.Combine(data, "bridge-status.json")))
                {
                    Assert.True(DateTime.UtcNow < deadline, "no Modbus-borne readings from the demo within 2 minutes");
                    await Task.Delay(250, ct);
                }
            }

            // A request under way when SIGTERM comes (an inspector's upload on one bar of signal during a restart) is
            // answered before the server stops, and the stop still ends with 0 and the cluster stopped: its body keeps
            // arriving for 3 s after the stop began, longer than the 2 s System.CommandLine allows by default.
            using var slow = await SlowRequest.StartAsync(port, "/api/auth/login", ct);
            await ProcessRunner.RunAsync("kill", ["-TERM", demo.Id.ToString()], ct: ct);
            await WaitForOutputAsync(output, "Application is shutting down", ct);
            var answer = await slow.FinishAsync(JsonSerializer.SerializeToUtf8Bytes(new { username = "demo", password }), TimeSpan.FromSeconds(3), ct);
            Assert.StartsWith("HTTP/1.1 200", answer);

            await demo.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            lock (output)
            {
                Assert.True(demo.ExitCode == 0, $"paju demo exited with {demo.ExitCode}:\n{output}");
            }
            Assert.Null(PostmasterPidFile.Read(Path.Combine(data, "pg", "data")));
        }
        finally
        {
            if (!demo.HasExited)
            {
                demo.Kill(entireProcessTree: true);
            }
            // pg_ctl started the cluster as a daemon, outside the demo's process tree: a demo that did not stop
            // cleanly leaves it running. SIGINT is PostgreSQL's fast shutdown.
            var pgData = Path.Combine(data, "pg", "data");
            if (PostmasterPidFile.Read(pgData) is { } postmaster && postmaster.BelongsToLiveServerOf(pgData))
            {
                await ProcessRunner.RunAsync("kill", ["-INT", postmaster.Pid.ToString()], ct: CancellationToken.None);
            }
        }
    }

    private static async Task<HttpResponseMessage> WaitForHealthAsync(HttpClient client, Process demo, System.Text.StringBuilder output, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (demo.HasExited)
            {
                lock (output)
                {
                    Assert.Fail($"paju demo exited with {demo.ExitCode}:\n{output}");
                }
            }
            try
            {
                var response = await client.GetAsync("/health", ct);
                if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
                {
                    return response;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(250, ct);
        }
    }

    private static async Task WaitForOutputAsync(System.Text.StringBuilder output, string line, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            lock (output)
            {
                if (output.ToString().Contains(line, StringComparison.Ordinal))
                {
                    return;
                }
                Assert.True(DateTime.UtcNow < deadline, $"no \"{line}\" from paju demo within a minute:\n{output}");
            }
            await Task.Delay(100, ct);
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
