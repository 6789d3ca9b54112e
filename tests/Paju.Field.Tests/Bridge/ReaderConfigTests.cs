using Paju.Field.Bridge.Config;

namespace Paju.Field.Tests.Bridge;

/// <summary>`paju-bridge validate` on the readers: read from the same file as the lines, every mistake reported at once.</summary>
public sealed class ReaderConfigTests
{
    [Fact]
    public void Readers_are_read_from_the_bridge_file_and_their_mistakes_reported_together()
    {
        var file = Path.Combine(Harness.TempDirectory.Create("paju-reader-config-"), "bridge.json");
        File.WriteAllText(file, """
            {
              // A door reader at a pump station and a handheld scanner for the patrol.
              "mqtt": { "endpoint": "127.0.0.1:1883" },
              "readers": [
                { "name": "door-nfc", "kind": "pn532", "serial": { "port": "/dev/ttyAMA1", "baud": 115200, "parity": "none" },
                  "site": "ulgok-ps1", "device": "ulgok-ps1-door", "secret": "s", "position": { "lat": 37.9146, "lon": 126.8555 } },
                { "name": "patrol-qr", "kind": "line-scanner", "serial": { "port": "/dev/ttyAMA1", "baud": 9600, "parity": "none" },
                  "site": "ulgok-ps1", "device": "ulgok-ps1-door", "secret": "s", "terminator": "cr-lf", "prefix": "]Q1" },
                { "name": "nowhere", "kind": "line-scanner", "serial": { "port": "/dev/ttyUSB3", "baud": 9600, "parity": "none" },
                  "site": "ulgok-ps1", "device": "ulgok-ps1-office", "secret": "s", "position": { "lat": 126.85, "lon": 37.91 }, "operator": "patrol.kim" }
              ]
            }
            """);
        var config = BridgeConfig.Load(file);
        Assert.Equal([ReaderKind.Pn532, ReaderKind.LineScanner, ReaderKind.LineScanner], config.Readers.Select(r => r.Kind));
        Assert.Equal(Paju.Field.Bridge.Readers.LineTerminator.CrLf, config.Readers[1].Terminator);
        var problems = ConfigValidator.Validate(config).Where(p => p.IsError).Select(p => p.ToString()).ToList();
        Assert.Contains(problems, p => p.Contains("readers[1].serial.port") && p.Contains("already used"));
        Assert.Contains(problems, p => p.Contains("readers[1].device") && p.Contains("already used"));
        Assert.Contains(problems, p => p.Contains("readers[1]") && p.Contains("either position"));   // neither
        Assert.Contains(problems, p => p.Contains("readers[2]") && p.Contains("either position"));   // both
        Assert.Contains(problems, p => p.Contains("readers[2].position") && p.Contains("not in Paju"));
        Assert.DoesNotContain(problems, p => p.StartsWith("오류 readers[0]", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.StartsWith("오류 lines", StringComparison.Ordinal));   // readers alone are a bridge's work
    }
}
