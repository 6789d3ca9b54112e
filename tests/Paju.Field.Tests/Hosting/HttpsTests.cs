using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Hosting;

/// <summary>
/// HTTPS with HTTP/2, as phones and a control room full of screens need it: the demo with its own local
/// authority answers curl over HTTP/2, streams the live feed over HTTP/2, sends plain HTTP to HTTPS, marks
/// its cookie Secure; a server given --cert/--key serves a replaced certificate without a restart.
/// </summary>
public sealed class HttpsTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static HttpClient TrustingOnly(X509Certificate2 authority, Uri baseAddress, CookieContainer? cookies = null) => new(new SocketsHttpHandler
    {
        CookieContainer = cookies ?? new CookieContainer(),
        SslOptions = new SslClientAuthenticationOptions
        {
            // Trust exactly the product's local authority, as a phone that installed it would.
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is X509Certificate2 leaf && chain.Build(leaf);
            },
        },
    })
    {
        BaseAddress = baseAddress,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    [Fact]
    public async Task The_demo_speaks_HTTP2_over_TLS_streams_the_live_feed_and_sends_HTTP_to_HTTPS()
    {
        var curl = Requires.Tool("curl", "apt-get install curl");
        var data = TempDirectory.Create("paju-https-");
        var (http, https) = (MqttDevice.FreePort(), MqttDevice.FreePort());
        await using var demo = await ServerProcess.StartAsync(db.ConnectionString, http, MqttDevice.FreePort(), data, "demo",
            ["--https", $"127.0.0.1:{https}"], new Dictionary<string, string> { ["Paju__Live__HeartbeatSeconds"] = "0.5" });
        var authority = Path.Combine(data, "tls", "paju-local-ca.crt");
        Assert.True(File.Exists(authority), demo.Output);
        Assert.Contains("SHA-256", demo.Output);   // the fingerprint a person compares on the phone

        // A real client, trusting only the local authority: HTTP/2 by ALPN.
        var version = await RunAsync(curl, "--http2", "--cacert", authority, "-s", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", $"https://127.0.0.1:{https}/health");
        Assert.Equal("2 200", version);

        // Plain HTTP: health stays, the rest goes to HTTPS.
        var redirect = await RunAsync(curl, "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", $"http://127.0.0.1:{http}/login?next=/x");
        Assert.Equal($"308 https://127.0.0.1:{https}/login?next=/x", redirect);
        Assert.Equal("200", await RunAsync(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://127.0.0.1:{http}/health"));

        // Signed in over HTTPS the cookie is Secure; the live feed streams over HTTP/2.
        var ca = X509CertificateLoader.LoadCertificateFromFile(authority);
        var cookies = new CookieContainer();
        using var client = TrustingOnly(ca, new Uri($"https://127.0.0.1:{https}"), cookies);
        var password = (await File.ReadAllTextAsync(Path.Combine(data, "demo-login.txt"))).Trim();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = "demo", password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));
        using var live = await client.GetAsync("/api/live", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpVersion.Version20, live.Version);
        Assert.Equal("text/event-stream", live.Content.Headers.ContentType!.MediaType);
        using var stream = new SseReader(await live.Content.ReadAsStreamAsync());
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (stream.Heartbeats == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no heartbeat over HTTP/2 within 90 s");
            try
            {
                await stream.NextAsync(TimeSpan.FromSeconds(2));
            }
            catch (OperationCanceledException)
            {
                // Quiet for two seconds: the heartbeat will have come meanwhile.
            }
        }
    }

    [Fact]
    public async Task A_replaced_certificate_is_served_without_a_restart()
    {
        var data = TempDirectory.Create("paju-cert-");
        var (certFile, keyFile) = (Path.Combine(data, "server.crt"), Path.Combine(data, "server.key"));
        var first = WritePem(certFile, keyFile, "CN=first.paju.test");
        var (http, https) = (MqttDevice.FreePort(), MqttDevice.FreePort());
        await using var server = await ServerProcess.StartAsync(db.ConnectionString, http, MqttDevice.FreePort(), data, "serve",
            ["--https", $"127.0.0.1:{https}", "--cert", certFile, "--key", keyFile]);
        Assert.Equal(first, await ServedThumbprintAsync(https));

        var second = WritePem(certFile, keyFile, "CN=renewed.paju.test");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string served;
        while ((served = await ServedThumbprintAsync(https)) != second)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still serving {served} a minute after the files were replaced:\n{server.Output}");
            await Task.Delay(250);
        }
        Assert.Contains("re-read", server.Output);
    }

    [Fact]
    public async Task HSTS_is_sent_over_HTTPS_once_the_public_address_is_https_and_a_proxys_https_is_not_redirected()
    {
        await using var server = await TestServer.StartAsync(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Https"] = "127.0.0.1:0",
            ["Paju:PublicBaseUrl"] = "https://safety.paju.go.kr/field",
        });
        var https = server.Addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal));
        var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(server.DataDirectory, "tls", "paju-local-ca.crt"));
        using var secure = TrustingOnly(authority, new Uri(https));
        using var health = await secure.GetAsync("/health");
        Assert.Equal("max-age=31536000", health.Headers.GetValues("Strict-Transport-Security").Single());

        // Plain HTTP from a browser goes to the public https address; from the proxy that terminated TLS it is served.
        using var plain = server.CreateClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var redirected = await plain.GetAsync("/login");
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.Equal("https://safety.paju.go.kr/field/login", redirected.Headers.Location!.ToString());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var proxied = await plain.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.True(proxied.Headers.Contains("Strict-Transport-Security"));
    }

    private static string WritePem(string certFile, string keyFile, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // Key first, then certificate: a renewal tool that writes in this order is caught between the two, and must not break the server.
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        return certificate.Thumbprint;
    }

    private static async Task<string> ServedThumbprintAsync(int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" });
        return new X509Certificate2(tls.RemoteCertificate!).Thumbprint;
    }

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
        return output.Trim();
    }
}
