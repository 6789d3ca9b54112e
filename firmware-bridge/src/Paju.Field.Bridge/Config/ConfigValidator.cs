using System.Globalization;
using System.IO.Ports;
using Paju.Field.Modbus;
using Paju.Field.Telemetry;

namespace Paju.Field.Bridge.Config;

/// <summary>A problem in a configuration: where (a JSON path), what, and whether it stops the bridge.</summary>
public sealed record ConfigProblem(string Path, string Message, bool IsError = true)
{
    public override string ToString() => $"{(IsError ? "오류" : "주의")} {Path}: {Message}";
}

/// <summary>
/// Every check `paju-bridge validate` makes, all reported at once rather than the first one: a
/// technician on site fixes the file in one pass. The bridge refuses to start with any error.
/// </summary>
public static class ConfigValidator
{
    private static readonly int[] StandardBauds = [1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200];

    public static IReadOnlyList<ConfigProblem> Validate(BridgeConfig config)
    {
        var problems = new List<ConfigProblem>();
        ValidateMqtt(config.Mqtt, problems);
        ValidateQueue(config.Queue, problems);
        if (config.IotHub is { } hub)
        {
            ValidateIotHub(hub, config.Lines.SelectMany(l => l.Slaves).Select(s => s.Device).ToHashSet(), problems);
        }
        if (string.IsNullOrWhiteSpace(config.StatusFile))
        {
            problems.Add(new("statusFile", "a path is needed for `paju-bridge status`"));
        }
        if (config.Lines.Count == 0 && config.Readers.Count == 0)
        {
            problems.Add(new("lines", "no serial line or reader is configured: the bridge would poll nothing"));
        }
        var devices = new Dictionary<string, string>();
        var ports = new Dictionary<string, string>();
        for (var l = 0; l < config.Lines.Count; l++)
        {
            ValidateLine(config, config.Lines[l], $"lines[{l}]", devices, ports, problems);
        }
        for (var r = 0; r < config.Readers.Count; r++)
        {
            ValidateReader(config.Readers[r], $"readers[{r}]", devices, ports, problems);
        }
        foreach (var (name, map) in config.Models)
        {
            ValidateModel(name, map, problems);
        }
        foreach (var unused in config.Models.Keys.Where(m => !config.Lines.SelectMany(l => l.Slaves).Any(s => s.Model == m)))
        {
            problems.Add(new($"models.{unused}", "defined but no slave uses it", IsError: false));
        }
        return problems;
    }

    private static void ValidateMqtt(MqttSettings mqtt, List<ConfigProblem> problems)
    {
        if (!BrokerEndpoint.TryParse(mqtt.Endpoint, out _, out var port) || port == 0)
        {
            problems.Add(new("mqtt.endpoint", $"'{mqtt.Endpoint}' is not HOST:PORT (e.g. mqtt.paju.local:8883)"));
        }
    }

    private static void ValidateQueue(QueueSettings queue, List<ConfigProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(queue.Directory))
        {
            problems.Add(new("queue.directory", "a directory is needed for readings waiting for the broker (e.g. /var/lib/paju-bridge/queue)"));
        }
        if (queue.MaxMegabytes < 1)
        {
            problems.Add(new("queue.maxMegabytes", $"{queue.MaxMegabytes} MB holds nothing: at least 1"));
        }
        if (queue.MaxAgeHours < 1)
        {
            problems.Add(new("queue.maxAgeHours", $"{queue.MaxAgeHours} h keeps nothing through an outage: at least 1"));
        }
        if (queue.Fsync == FsyncPolicy.Group && queue.GroupCommitMs is < 1 or > 10_000)
        {
            problems.Add(new("queue.groupCommitMs", $"{queue.GroupCommitMs} ms is outside 1–10000 (a power cut loses at most this window)"));
        }
        if (queue.Fsync == FsyncPolicy.Os)
        {
            problems.Add(new("queue.fsync", "\"os\" survives a crash of the bridge but not a power cut", IsError: false));
        }
        if (queue.ReplayPerSecond < 0)
        {
            problems.Add(new("queue.replayPerSecond", $"{queue.ReplayPerSecond} is negative (0 = unpaced)"));
        }
    }

    private static void ValidateIotHub(IotHubSettings hub, HashSet<string> devices, List<ConfigProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(hub.HostName) || Uri.CheckHostName(hub.HostName) == UriHostNameType.Unknown)
        {
            problems.Add(new("iotHub.hostName", $"'{hub.HostName}' is not a host name (e.g. paju-field.azure-devices.net)"));
        }
        if (hub.Port is < 1 or > 65535)
        {
            problems.Add(new("iotHub.port", $"{hub.Port} is not a port (IoT Hub listens on 8883)"));
        }
        if (hub.TokenLifetimeSeconds < 10)
        {
            problems.Add(new("iotHub.tokenLifetimeSeconds", $"{hub.TokenLifetimeSeconds} s: a token must live at least 10 s"));
        }
        if (hub.CaFile is not null && !File.Exists(hub.CaFile))
        {
            problems.Add(new("iotHub.caFile", $"{hub.CaFile} does not exist"));
        }
        if (hub.Devices.Count == 0)
        {
            problems.Add(new("iotHub.devices", "no device is listed: nothing would go to the hub", IsError: false));
        }
        foreach (var (device, key) in hub.Devices)
        {
            var path = $"iotHub.devices.{device}";
            if (!devices.Contains(device))
            {
                problems.Add(new(path, $"{device} is not a device of any line"));
            }
            if ((key.Key is null) == (key.KeyFile is null))
            {
                problems.Add(new(path, "give exactly one of \"keyFile\" (preferred) or \"key\""));
            }
            else
            {
                string text;
                try
                {
                    text = key.ReadKey();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    problems.Add(new($"{path}.keyFile", $"{key.KeyFile} cannot be read: {e.Message}"));
                    continue;
                }
                if (!IsBase64(text))
                {
                    problems.Add(new($"{path}.{(key.Key is null ? "keyFile" : "key")}", "the key is not base64: copy the device's primary key from the hub as it is"));
                }
            }
        }
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return text.Length > 0 && Convert.TryFromBase64String(text, buffer, out _);
    }

    private static void ValidateLine(BridgeConfig config, LineConfig line, string path, Dictionary<string, string> devices,
        Dictionary<string, string> ports, List<ConfigProblem> problems)
    {
        var serial = line.Serial;
        if (string.IsNullOrWhiteSpace(serial.Port))
        {
            problems.Add(new($"{path}.serial.port", "the serial device path is empty (e.g. /dev/ttyUSB0)"));
        }
        else if (!ports.TryAdd(serial.Port, path))
        {
            problems.Add(new($"{path}.serial.port", $"{serial.Port} is already used by {ports[serial.Port]}: one poller per line"));
        }
        if (serial.Baud <= 0)
        {
            problems.Add(new($"{path}.serial.baud", $"{serial.Baud} is not a baud rate"));
        }
        else if (!StandardBauds.Contains(serial.Baud))
        {
            problems.Add(new($"{path}.serial.baud", $"{serial.Baud} is not a standard rate ({string.Join(", ", StandardBauds)}); check the controller's setting", IsError: false));
        }
        if (serial.Parity is not (Parity.None or Parity.Even or Parity.Odd))
        {
            problems.Add(new($"{path}.serial.parity", $"{serial.Parity} parity is not used by Modbus RTU: none, even or odd"));
        }
        if (serial.StopBits is not (1 or 2))
        {
            problems.Add(new($"{path}.serial.stopBits", $"{serial.StopBits}: stop bits are 1 or 2"));
        }
        else if (serial.Parity == Parity.None && serial.StopBits == 1)
        {
            problems.Add(new($"{path}.serial", "no parity with one stop bit is 10-bit framing; Modbus RTU asks for 8N2 when parity is off", IsError: false));
        }
        if (line.ResponseTimeoutMs is < 10 or > 10_000)
        {
            problems.Add(new($"{path}.responseTimeoutMs", $"{line.ResponseTimeoutMs} ms: use 10–10,000 ms"));
        }
        if (line.Retries is < 0 or > 10)
        {
            problems.Add(new($"{path}.retries", $"{line.Retries}: use 0–10"));
        }
        if (line.PollIntervalMs is < 50 or > 3_600_000)
        {
            problems.Add(new($"{path}.pollIntervalMs", $"{line.PollIntervalMs} ms: use 50 ms – 1 h"));
        }
        if (line.Slaves.Count == 0)
        {
            problems.Add(new($"{path}.slaves", "no slave on this line"));
        }
        var ids = new HashSet<int>();
        for (var s = 0; s < line.Slaves.Count; s++)
        {
            var slave = line.Slaves[s];
            var at = $"{path}.slaves[{s}]";
            if (slave.Id is < 1 or > 247)
            {
                problems.Add(new($"{at}.id", $"{slave.Id}: slave ids are 1–247 (0 is broadcast, 248–255 reserved)"));
            }
            else if (!ids.Add(slave.Id))
            {
                problems.Add(new($"{at}.id", $"slave {slave.Id} appears twice on this line"));
            }
            if (!config.Models.ContainsKey(slave.Model))
            {
                problems.Add(new($"{at}.model", $"'{slave.Model}' is not defined in models (defined: {string.Join(", ", config.Models.Keys.DefaultIfEmpty("none"))})"));
            }
            if (!TelemetryTopic.IsId(slave.Site))
            {
                problems.Add(new($"{at}.site", $"'{slave.Site}' is not a site id ([a-z0-9._-], at most 64)"));
            }
            if (!TelemetryTopic.IsId(slave.Device))
            {
                problems.Add(new($"{at}.device", $"'{slave.Device}' is not a device id ([a-z0-9._-], at most 64)"));
            }
            else if (!devices.TryAdd(slave.Device, at))
            {
                problems.Add(new($"{at}.device", $"{slave.Device} is already used by {devices[slave.Device]}: one MQTT session per device"));
            }
            ValidateSecret(slave, at, problems);
        }
        ValidateBudget(config, line, path, problems);
    }

    private static void ValidateReader(ReaderConfig reader, string path, Dictionary<string, string> devices, Dictionary<string, string> ports,
        List<ConfigProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(reader.Serial.Port))
        {
            problems.Add(new($"{path}.serial.port", "the serial device path is empty (e.g. /dev/ttyUSB1)"));
        }
        else if (!ports.TryAdd(reader.Serial.Port, path))
        {
            problems.Add(new($"{path}.serial.port", $"{reader.Serial.Port} is already used by {ports[reader.Serial.Port]}: a reader needs its own line"));
        }
        if (reader.Serial.Baud <= 0 || !StandardBauds.Contains(reader.Serial.Baud))
        {
            problems.Add(new($"{path}.serial.baud", $"{reader.Serial.Baud} is not a standard rate ({string.Join(", ", StandardBauds)})"));
        }
        if (!TelemetryTopic.IsId(reader.Site))
        {
            problems.Add(new($"{path}.site", $"'{reader.Site}' is not a site id ([a-z0-9._-], at most 64)"));
        }
        if (!TelemetryTopic.IsId(reader.Device))
        {
            problems.Add(new($"{path}.device", $"'{reader.Device}' is not a device id ([a-z0-9._-], at most 64)"));
        }
        else if (!devices.TryAdd(reader.Device, path))
        {
            problems.Add(new($"{path}.device", $"{reader.Device} is already used by {devices[reader.Device]}: a reader is a device of its own"));
        }
        ValidateSecret(reader.Identity, path, problems);
        // Fixed or handheld: the server measures a fixed reader's distance to the asset; a handheld one says who carried it.
        if ((reader.Position is null) == (reader.Operator is null))
        {
            problems.Add(new(path, "give either position (a fixed reader: lat, lon) or operator (a handheld reader's person), not both or neither"));
        }
        if (reader.Position is { } p && !Geography.PajuExtent.Contains(p.Lon, p.Lat))
        {
            problems.Add(new($"{path}.position", $"{p.Lat}, {p.Lon} is not in Paju (lat 37.67–38.01, lon 126.64–127.04): check the order"));
        }
        if (reader.Operator is { Length: > CheckIn.MaxOperatorLength or 0 })
        {
            problems.Add(new($"{path}.operator", $"1–{CheckIn.MaxOperatorLength} characters"));
        }
        if (reader.StateSeconds is < 1 or > 3600)
        {
            problems.Add(new($"{path}.stateSeconds", "1–3600 seconds"));
        }
        if (reader.RepeatSeconds is < 0 or > 3600)
        {
            problems.Add(new($"{path}.repeatSeconds", "0–3600 seconds"));
        }
        if (reader.Kind == ReaderKind.LineScanner && reader.MaxLength is < 16 or > 4096)
        {
            problems.Add(new($"{path}.maxLength", "16–4096 bytes (a plate's URL is under 200)"));
        }
        if (reader.Kind == ReaderKind.Pn532 && reader.PollIntervalMs is < 50 or > 10_000)
        {
            problems.Add(new($"{path}.pollIntervalMs", "50–10000 ms"));
        }
    }

    private static void ValidateSecret(SlaveConfig slave, string at, List<ConfigProblem> problems)
    {
        if (slave.Secret is not null && slave.SecretFile is not null)
        {
            problems.Add(new(at, "give secret or secretFile, not both"));
        }
        else if (slave.Secret is null && slave.SecretFile is null)
        {
            problems.Add(new($"{at}.secretFile", $"no credentials for {slave.Device}: `paju device add {slave.Device} --site {slave.Site}` prints the secret"));
        }
        else if (slave.SecretFile is { } file)
        {
            try
            {
                if (string.IsNullOrWhiteSpace(File.ReadAllText(file)))
                {
                    problems.Add(new($"{at}.secretFile", $"{file} is empty"));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new($"{at}.secretFile", $"{file} cannot be read: {e.Message}"));
            }
        }
        else if (string.IsNullOrWhiteSpace(slave.Secret))
        {
            problems.Add(new($"{at}.secret", "the secret is empty"));
        }
    }

    /// <summary>Can the line do one poll of every slave within the interval at this baud?</summary>
    private static void ValidateBudget(BridgeConfig config, LineConfig line, string path, List<ConfigProblem> problems)
    {
        if (line.Serial.Baud <= 0)
        {
            return;
        }
        var timing = line.Serial.Timing;
        var cycle = TimeSpan.Zero;
        foreach (var slave in line.Slaves)
        {
            if (!config.Models.TryGetValue(slave.Model, out var map) || map.Registers.Count == 0)
            {
                continue;
            }
            foreach (var block in map.Blocks())
            {
                cycle += timing.Transaction(8, 5 + block.Count * 2, TimeSpan.FromMilliseconds(line.TurnaroundMs));
            }
        }
        if (cycle.TotalMilliseconds > line.PollIntervalMs)
        {
            problems.Add(new($"{path}.pollIntervalMs", $"one poll of every slave needs {cycle.TotalMilliseconds:F0} ms on the wire at {line.Serial.Baud} baud, more than the {line.PollIntervalMs} ms interval"));
        }
    }

    private static void ValidateModel(string name, RegisterMap map, List<ConfigProblem> problems)
    {
        var path = $"models.{name}";
        if (map.Registers.Count == 0)
        {
            problems.Add(new($"{path}.registers", "no register points"));
            return;
        }
        var metrics = new HashSet<string>();
        var used = new Dictionary<(byte, int), string>();
        for (var i = 0; i < map.Registers.Count; i++)
        {
            var p = map.Registers[i];
            var at = $"{path}.registers[{i}]";
            if (!MetricUnits.IsValidName(p.Metric))
            {
                problems.Add(new($"{at}.metric", $"'{p.Metric}' is not a metric name (lower-case snake case, 3–64 characters)"));
            }
            else if (!metrics.Add(p.Metric))
            {
                problems.Add(new($"{at}.metric", $"{p.Metric} is mapped twice"));
            }
            if (p.Function is not ((byte)ModbusFunction.ReadHoldingRegisters or (byte)ModbusFunction.ReadInputRegisters))
            {
                problems.Add(new($"{at}.function", $"{p.Function}: points are read with function 3 (holding) or 4 (input)"));
            }
            if (p.Address + p.Width > 65536)
            {
                problems.Add(new($"{at}.address", $"{p.Address} + {p.Width} registers runs past 65535"));
            }
            if (p.IsFlag)
            {
                if (p.Bit is < 0 or > 15)
                {
                    problems.Add(new($"{at}.bit", $"{p.Bit}: a register has bits 0–15"));
                }
                if (p.Type != RegisterType.U16)
                {
                    problems.Add(new($"{at}.type", "a bit is taken from a u16 register"));
                }
                if (!MetricUnits.IsBoolean(p.Metric))
                {
                    problems.Add(new($"{at}.metric", $"{p.Metric} is a bit, so its name ends in a state ({string.Join(", ", MetricUnits.BooleanSuffixes)})"));
                }
                continue;
            }
            if (MetricUnits.IsBoolean(p.Metric))
            {
                problems.Add(new($"{at}.bit", $"{p.Metric} names a state: give the bit it is in"));
            }
            else if (MetricUnits.NumericUnitOf(p.Metric) is not { } unit)
            {
                problems.Add(new($"{at}.metric", $"{p.Metric} has no unit suffix (_m, _m3_per_h, _a, …; see PROTOCOL.md)"));
            }
            else if (p.Unit is { } given && Normalize(given) != Normalize(unit.Symbol))
            {
                problems.Add(new($"{at}.unit", $"the map says {given} but {p.Metric} is in {unit.Symbol}: fix the scale or the name"));
            }
            if (p.Scale == 0 || !double.IsFinite(p.Scale) || !double.IsFinite(p.Offset))
            {
                problems.Add(new($"{at}.scale", $"scale {p.Scale}, offset {p.Offset}: the scale must be a non-zero number"));
            }
            for (var r = 0; r < p.Width; r++)
            {
                if (!used.TryAdd((p.Function, p.Address + r), p.Metric))
                {
                    problems.Add(new($"{at}.address", $"register {p.Address + r} (function {p.Function}) is already {used[(p.Function, p.Address + r)]}"));
                }
            }
        }
    }

    private static string Normalize(string unit) => unit.Replace("³", "3").Replace(" ", "").ToLowerInvariant();
}
