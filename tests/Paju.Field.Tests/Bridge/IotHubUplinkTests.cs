using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using Paju.Field.Bridge.Config;
using Paju.Field.Bridge.Publishing;
using Paju.Field.Bridge.Queue;
using Paju.Field.Server.Database;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Bridge;

/// <summary>
/// The Azure IoT Hub uplink, spoken as IoT Hub's MQTT device protocol. The SAS token against the
/// vectors in protocols.md; the rest against a real mosquitto over TLS (a CA made here), with a
/// plugin that records what each client presented, standing in for the hub.
/// </summary>
public sealed partial class IotHubUplinkTests
{
    private const string Device = "ulgok-ps1-plc";
    private static readonly string Key = Convert.ToBase64String(Encoding.ASCII.GetBytes("paju-field-test-device-key-32byt"));

    [Fact]
    public void Sas_signatures_match_the_published_vectors()
    {
        const string uri = "sdktesthub.private.azure-devices-int.net/devices/test8";
        Assert.Equal("ZrTYgp6uRmbDl4lzzewxFD9FoaNKIK7G2bdivDbtc9A=", SasToken.Signature("q+DKVojmMz014RjAwpNGZbAkdOocSVWMKPOccLfUmLE=", uri, 1462333672));
        Assert.Equal("muQ9Ny9BYertoUY+tyisIG16b67p8QHrDefXA4V1qLM=", SasToken.Signature("c29tZUtleQ==", uri, 1462333672));
        Assert.Equal("lD2oyxIUEnddGjtK681VzLWY0QcjSHzYvLkPr3q+Pd8=",
            SasToken.Signature("q+DKVojmMz014RjAwpNGZbAkdOocSVWMKPOccLfUmLE=", "sdktesthub.private.azure-devices-int.net%2Fdevices%2Ftest8", 1462333672));

        // The token signs exactly the sr it sends: the encoded uri.
        var token = SasToken.Create("sdktesthub.private.azure-devices-int.net", "test8", "q+DKVojmMz014RjAwpNGZbAkdOocSVWMKPOccLfUmLE=", DateTimeOffset.FromUnixTimeSeconds(1462333672));
        Assert.Equal("SharedAccessSignature sr=sdktesthub.private.azure-devices-int.net%2Fdevices%2Ftest8"
            + "&sig=lD2oyxIUEnddGjtK681VzLWY0QcjSHzYvLkPr3q%2BPd8%3D&se=1462333672", token);
    }

    [Fact]
    public void A_message_over_256_KB_is_refused_with_its_size()
    {
        var uplink = new IotHubUplink(Device, Hub("paju-field.azure-devices.net", 8883, null));
        var (ok, none) = uplink.Reading("telemetry", new byte[1000]);
        Assert.Null(none);
        Assert.Equal("devices/ulgok-ps1-plc/messages/events/channel=telemetry&$.ct=application%2Fjson&$.ce=utf-8", ok!.Topic);
        var (refused, reason) = uplink.Reading("telemetry", new byte[256 * 1024]);
        Assert.Null(refused);
        Assert.Contains("over IoT Hub's limit of 262,144", reason);
    }

    [Fact]
    public async Task The_bridge_talks_to_a_tls_hub_as_a_device_and_renews_its_token_without_losing_a_reading()
    {
        var dir = TempDirectory.Create("paju-iothub-");
        var plugin = await CompileProbePluginAsync(dir);
        var ca = MakeCertificates(dir);
        var port = MqttDevice.FreePort();
        var connects = Path.Combine(dir, "connects.tsv");
        await File.WriteAllTextAsync(Path.Combine(dir, "mosquitto.conf"), $"""
            listener {port}
            certfile {Path.Combine(dir, "server.pem")}
            keyfile {Path.Combine(dir, "server.key")}
            plugin {plugin}
            plugin_opt_log {connects}
            allow_anonymous false
            persistence false
            """);
        await using var hub = await Mosquitto.StartAsync(dir, port);

        // An observer on the hub's side of the wire: what arrives, on which topic.
        var received = new ConcurrentQueue<(string Topic, TelemetryReading Reading)>();
        using var observer = new MqttClientFactory().CreateMqttClient();
        observer.ApplicationMessageReceivedAsync += e =>
        {
            var (reading, _, _) = TelemetryReading.Parse(e.ApplicationMessage.Payload.ToArray(), Device);
            received.Enqueue((e.ApplicationMessage.Topic, reading!));
            return Task.CompletedTask;
        };
        await observer.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("localhost", port).WithClientId("observer")
            .WithCredentials("observer", "x").WithTlsOptions(t => t.UseTls().WithTrustChain(ca)).Build());
        await observer.SubscribeAsync("devices/+/messages/events/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);

        var settings = Hub("localhost", port, Path.Combine(dir, "ca.pem")) with { TokenLifetimeSeconds = 10 };
        var started = DateTimeOffset.UtcNow;
        var queueSettings = new QueueSettings { Directory = Path.Combine(dir, "queue"), ReplayPerSecond = 0 };
        using var queue = DiskQueue.Open(Path.Combine(dir, "queue", Device, "iot-hub"), queueSettings, NullLogger.Instance);
        var publisher = new DevicePublisher(Device, new IotHubUplink(Device, settings), queue, queueSettings, new ListLogger());
        var outlet = new DeviceOutlet(Device, boot: started.ToUnixTimeSeconds(), [publisher]);
        using var stop = new CancellationTokenSource();
        var running = publisher.RunAsync(stop.Token);
        var offered = 0;
        try
        {
            // Readings every 100 ms until the bridge has connected three times (the token renewed twice).
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (Connects(connects).Count(c => c.ClientId == Device) < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "the bridge did not renew its token twice within two minutes");
                Assert.False(running.IsCompleted, $"the publisher stopped: {running.Exception}");
                outlet.Offer(TelemetryTopic.Telemetry, DateTimeOffset.UtcNow, new() { ["basin_level_m"] = 1 + offered / 1000.0 }, []);
                offered++;
                if (offered == 20)
                {
                    // One reading too large for the hub, among the others.
                    var huge = new Dictionary<string, double>(Enumerable.Range(0, 100).Select(i => KeyValuePair.Create($"{new string('x', 3000)}{i}_m", 1.0)));
                    publisher.Enqueue(DevicePublisher.Record(TelemetryTopic.Telemetry, new TelemetryReading(Device, 1, 999_999, DateTimeOffset.UtcNow, false, huge, new Dictionary<string, bool>())));
                }
                await Task.Delay(100);
            }
            deadline = DateTime.UtcNow.AddMinutes(1);
            while (received.Count < offered && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running;
            await publisher.DisposeAsync();
        }

        // Every reading arrived once, in order, on the telemetry topic with its properties.
        var readings = received.ToList();
        Assert.All(readings, r => Assert.Equal("devices/ulgok-ps1-plc/messages/events/channel=telemetry&$.ct=application%2Fjson&$.ce=utf-8", r.Topic));
        Assert.Equal(Enumerable.Range(0, offered).Select(n => (long)n), readings.Select(r => r.Reading.Seq));
        Assert.Equal(1, publisher.Refused);
        Assert.Contains("limit of 262,144", await File.ReadAllTextAsync(Path.Combine(queue.Directory, "rejected.jsonl")));

        // Each connection as IoT Hub expects: MQTT 3.1.1, client id the device, username with the api
        // version, a SAS token for this device signed with its key, each renewal a later expiry.
        var mine = Connects(connects).Where(c => c.ClientId == Device).ToList();
        Assert.True(mine.Count >= 3);
        long lastExpiry = 0;
        foreach (var connect in mine)
        {
            Assert.Equal(4, connect.ProtocolVersion);
            Assert.Equal("localhost/ulgok-ps1-plc/?api-version=2021-04-12", connect.Username);
            var token = SasPattern().Match(connect.Password);
            Assert.True(token.Success, connect.Password);
            Assert.Equal("localhost%2Fdevices%2Fulgok-ps1-plc", token.Groups["sr"].Value);
            var expiry = long.Parse(token.Groups["se"].Value);
            var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(Key), Encoding.UTF8.GetBytes($"{token.Groups["sr"].Value}\n{expiry}")));
            Assert.Equal(expected, Uri.UnescapeDataString(token.Groups["sig"].Value));
            Assert.InRange(expiry, started.ToUnixTimeSeconds() + 9, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 11);
            Assert.True(expiry > lastExpiry);
            lastExpiry = expiry;
        }
    }

    [GeneratedRegex("^SharedAccessSignature sr=(?<sr>[^&]+)&sig=(?<sig>[^&]+)&se=(?<se>[0-9]+)$")]
    private static partial Regex SasPattern();

    private static IotHubSettings Hub(string host, int port, string? caFile) => new()
    {
        HostName = host,
        Port = port,
        CaFile = caFile,
        Devices = new Dictionary<string, IotHubDeviceKey> { [Device] = new() { Key = Key } },
    };

    private static List<(string ClientId, int ProtocolVersion, string Username, string Password)> Connects(string file) =>
        !File.Exists(file) ? [] : [.. File.ReadAllLines(file).Select(l => l.Split('\t')).Where(f => f.Length == 4).Select(f => (f[0], int.Parse(f[1]), f[2], f[3]))];

    private static async Task<string> CompileProbePluginAsync(string dir)
    {
        var gcc = Requires.Tool("gcc", "apt-get install gcc mosquitto-dev libmosquitto-dev");
        if (!File.Exists("/usr/include/mosquitto_plugin.h") || !File.Exists("/usr/include/mosquitto.h"))
        {
            Requires.Missing("mosquitto plugin headers are not installed (apt-get install mosquitto-dev libmosquitto-dev)");
        }
        var plugin = Path.Combine(dir, "connect_probe.so");
        var source = Path.Combine(AppContext.BaseDirectory, "Bridge", "Interop", "connect_probe_plugin.c");
        var compiled = await ProcessRunner.RunAsync(gcc, ["-O2", "-Wall", "-Werror", "-shared", "-fPIC", source, "-o", plugin], null, null, default);
        Assert.True(compiled.Succeeded, compiled.StandardError);
        return plugin;
    }

    /// <summary>A CA and a server certificate for localhost signed by it, as PEM files for mosquitto; returns the CA to trust.</summary>
    private static X509Certificate2Collection MakeCertificates(string dir)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Paju Field test hub CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = request.Create(ca, now.AddMinutes(-1), now.AddHours(12), RandomNumberGenerator.GetBytes(12));

        File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
        return [X509CertificateLoader.LoadCertificate(ca.RawData)];
    }
}
