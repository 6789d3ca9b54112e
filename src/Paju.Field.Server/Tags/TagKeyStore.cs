using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Paju.Field.Server.Tags;

/// <summary>An NTAG 424 DNA tag's two application keys: K_meta (picc_data) and K_file (the SUN MAC).</summary>
public sealed record SunKeys(byte[] Meta, byte[] File);

/// <summary>
/// The tag keys, kept outside the database so a dump cannot forge a plate: a JSON file (mode 0600) with the
/// versioned static-signature keys and each NTAG 424 tag's keys, plus signing keys given by configuration.
/// Commands write it (atomically: a new file renamed over the old); the server re-reads it when it changes,
/// so a tag added at the command line verifies at once. Old signing versions are kept: printed plates stay good.
/// </summary>
public sealed class TagKeyStore(string path, IReadOnlyDictionary<int, byte[]>? configuredSigningKeys = null)
{
    private readonly Lock _gate = new();
    private KeyFile _file = new();
    private (DateTime Written, long Length) _loadedFrom = (DateTime.MinValue, -1);

    public string Path => path;

    public static TagKeyStore From(TagOptions options, string dataDirectory) =>
        new(options.KeyFilePath(dataDirectory), options.SigningKeys.ToDictionary(k => int.Parse(k.Key), k => Convert.FromHexString(k.Value)));

    /// <summary>The signing key of a version, from configuration or the file; null when it does not exist (a forged or mistyped plate).</summary>
    public byte[]? SigningKey(int version)
    {
        if (configuredSigningKeys?.TryGetValue(version, out var configured) == true)
        {
            return configured;
        }
        return Current().Signing.FirstOrDefault(k => k.Version == version)?.Key;
    }

    /// <summary>The newest signing key, which signs new plates; the file's first key is made on first use.</summary>
    public (int Version, byte[] Key) CurrentSigningKey()
    {
        var newest = AllSigningVersions().DefaultIfEmpty(0).Max();
        if (newest > 0)
        {
            return (newest, SigningKey(newest)!);
        }
        return (RotateSigningKey(), SigningKey(1)!);
    }

    /// <summary>Adds a new signing version (the next number); plates printed under older versions keep verifying.</summary>
    public int RotateSigningKey() => Update(file =>
    {
        var version = AllSigningVersions(file).DefaultIfEmpty(0).Max() + 1;
        file.Signing.Add(new SigningKeyEntry { Version = version, Key = RandomNumberGenerator.GetBytes(32), CreatedAt = DateTimeOffset.UtcNow });
        return version;
    });

    public IReadOnlyList<int> SigningVersions() => [.. AllSigningVersions().Order()];

    public SunKeys? SunKeysOf(string tagId) =>
        Current().Ntag424.TryGetValue(tagId, out var entry) ? new SunKeys(entry.Meta, entry.File) : null;

    public void SetSunKeys(string tagId, SunKeys keys) => Update(file =>
    {
        file.Ntag424[tagId] = new SunKeyEntry { Meta = keys.Meta, File = keys.File };
        return true;
    });

    private IEnumerable<int> AllSigningVersions(KeyFile? file = null) =>
        (file ?? Current()).Signing.Select(k => k.Version).Concat(configuredSigningKeys?.Keys ?? []);

    private KeyFile Current()
    {
        lock (_gate)
        {
            var info = new FileInfo(path);
            var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
            if (stamp != _loadedFrom)
            {
                _file = info.Exists ? Read() : new KeyFile();
                _loadedFrom = stamp;
            }
            return _file;
        }
    }

    private KeyFile Read()
    {
        try
        {
            return JsonSerializer.Deserialize<KeyFile>(File.ReadAllBytes(path), Json) ?? new KeyFile();
        }
        catch (JsonException e)
        {
            throw new PajuSetupException($"The tag key file {path} is not readable JSON ({e.Message}). Restore it from the backup; without it no plate verifies.");
        }
    }

    private T Update<T>(Func<KeyFile, T> change)
    {
        lock (_gate)
        {
            var file = File.Exists(path) ? Read() : new KeyFile();
            var result = change(file);
            var directory = System.IO.Path.GetDirectoryName(path)!;
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var temporary = path + ".new";
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                JsonSerializer.Serialize(stream, file, Json);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            _loadedFrom = (DateTime.MinValue, -1);
            return result;
        }
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private sealed class KeyFile
    {
        public string Comment { get; set; } = "Paju Field tag keys. Keep this file secret (mode 0600) and in the backup: without it no plate verifies.";

        public List<SigningKeyEntry> Signing { get; set; } = [];

        public Dictionary<string, SunKeyEntry> Ntag424 { get; set; } = [];
    }

    private sealed class SigningKeyEntry
    {
        public int Version { get; set; }

        [JsonConverter(typeof(HexBytes))]
        public byte[] Key { get; set; } = [];

        public DateTimeOffset CreatedAt { get; set; }
    }

    private sealed class SunKeyEntry
    {
        [JsonConverter(typeof(HexBytes))]
        public byte[] Meta { get; set; } = [];

        [JsonConverter(typeof(HexBytes))]
        public byte[] File { get; set; } = [];
    }

    private sealed class HexBytes : JsonConverter<byte[]>
    {
        public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Convert.FromHexString(reader.GetString() ?? "");

        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Convert.ToHexString(value));
    }
}
