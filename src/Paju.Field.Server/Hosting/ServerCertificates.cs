using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// The certificate HTTPS serves. Given --cert/--key (PEM), those files, read again whenever they change,
/// so a renewed certificate needs no restart. Without them, one made here: a local certificate authority
/// under the data folder (kept, so phones trust it once) signs a server certificate for this machine's
/// names and addresses — for a LAN, where phones need HTTPS for the camera, location, NFC and offline use.
/// </summary>
public sealed class ServerCertificates : IDisposable
{
    // iOS refuses server certificates valid for more than 825 days; a year and a month stays well inside.
    private static readonly TimeSpan ServerLifetime = TimeSpan.FromDays(397);
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(2);

    private readonly string? _certFile;
    private readonly string? _keyFile;
    private readonly ILogger _log;
    private readonly Timer? _watch;
    private DateTime _loadedStamp;
    private X509Certificate2 _current;

    private ServerCertificates(string? certFile, string? keyFile, X509Certificate2 current, ILogger log)
    {
        _certFile = certFile;
        _keyFile = keyFile;
        _current = current;
        _log = log;
        if (certFile is not null)
        {
            _loadedStamp = Stamp();
            _watch = new Timer(_ => ReloadIfChanged(), null, PollEvery, PollEvery);
        }
    }

    /// <summary>The certificate for the next TLS handshake.</summary>
    public X509Certificate2 Current => Volatile.Read(ref _current);

    /// <summary>Where the local certificate authority is, when the product made its own certificate.</summary>
    public string? AuthorityFile { get; private init; }

    public static ServerCertificates FromFiles(string certFile, string keyFile, ILogger log)
    {
        var certificate = LoadPem(certFile, keyFile);
        log.LogInformation("HTTPS certificate from {CertFile}: {Subject}, valid until {NotAfter:yyyy-MM-dd}; re-read when the file changes",
            certFile, certificate.Subject, certificate.NotAfter);
        return new ServerCertificates(Path.GetFullPath(certFile), Path.GetFullPath(keyFile), certificate, log);
    }

    /// <summary>The local authority under DIR/tls (made once) and a fresh server certificate for this machine, signed by it.</summary>
    public static ServerCertificates Local(string dataDirectory, IEnumerable<string> extraNames, ILogger log)
    {
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), "tls");
        Directory.CreateDirectory(directory);
        var caCert = Path.Combine(directory, "paju-local-ca.crt");
        var caKey = Path.Combine(directory, "paju-local-ca.key");
        X509Certificate2 authority;
        if (File.Exists(caCert) && File.Exists(caKey))
        {
            authority = LoadPem(caCert, caKey);
        }
        else
        {
            authority = MakeAuthority();
            File.WriteAllText(caCert, authority.ExportCertificatePem());
            WritePrivate(caKey, authority.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            log.LogInformation("Made a local certificate authority for HTTPS: {File}", caCert);
        }
        var server = MakeServerCertificate(authority, Names(extraNames));
        File.WriteAllText(Path.Combine(directory, "server.crt"), server.ExportCertificatePem() + authority.ExportCertificatePem());
        WritePrivate(Path.Combine(directory, "server.key"), server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return new ServerCertificates(null, null, server, log) { AuthorityFile = caCert };
    }

    /// <summary>The SHA-256 fingerprint people compare on their phone before trusting the authority.</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));

    private void ReloadIfChanged()
    {
        try
        {
            var stamp = Stamp();
            if (stamp == _loadedStamp)
            {
                return;
            }
            var renewed = LoadPem(_certFile!, _keyFile!);
            Volatile.Write(ref _current, renewed);
            _loadedStamp = stamp;
            _log.LogInformation("HTTPS certificate re-read from {CertFile}: {Subject}, valid until {NotAfter:yyyy-MM-dd}", _certFile, renewed.Subject, renewed.NotAfter);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            // Mid-write by the renewal tool, most likely: keep serving the old one and look again shortly.
            _log.LogWarning("HTTPS certificate in {CertFile} could not be read yet ({Reason}); still serving the previous one", _certFile, e.Message);
        }
    }

    private DateTime Stamp() => new[] { File.GetLastWriteTimeUtc(_certFile!), File.GetLastWriteTimeUtc(_keyFile!) }.Max();

    private static X509Certificate2 LoadPem(string certFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        // Kestrel on Linux takes the key as it is; exporting and re-importing gives a certificate independent of the files.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 MakeAuthority()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Paju Field local CA ({Environment.MachineName}), O=Paju City", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var made = request.CreateSelfSigned(now.AddDays(-1), now.Add(CaLifetime));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 MakeServerCertificate(X509Certificate2 authority, IReadOnlyCollection<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names.First()}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));   // serverAuth
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(authority, now.AddDays(-1), now.Add(ServerLifetime), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>localhost, this machine's name, its non-loopback addresses (phones on the LAN), and any configured host.</summary>
    private static List<string> Names(IEnumerable<string> extra)
    {
        var names = new List<string> { "localhost", Environment.MachineName.ToLowerInvariant(), "127.0.0.1", "::1" };
        names.AddRange(extra.Where(n => !string.IsNullOrWhiteSpace(n)));
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up))
        {
            names.AddRange(nic.GetIPProperties().UnicastAddresses
                .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a.Address))
                .Select(a => a.Address.ToString()));
        }
        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static void WritePrivate(string path, string text)
    {
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }

    public void Dispose() => _watch?.Dispose();
}
