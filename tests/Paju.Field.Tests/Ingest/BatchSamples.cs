using Paju.Field.Server.Devices;
using Paju.Field.Server.Ingest;
using Paju.Field.Telemetry;

namespace Paju.Field.Tests.Ingest;

/// <summary>Two devices and readings of theirs as a batch holds them, for the writer's pieces tested without a database.</summary>
internal static class BatchSamples
{
    public static readonly Device Pump = new(7, "ulgok-ps1-plc", "ulgok", DeviceStore.DeviceRole, 3, "ULGOK-PS1", "", false, true, null);
    public static readonly Device Gauge = new(4, "ulgok-basin-lt", "ulgok", DeviceStore.DeviceRole, null, null, "", false, true, null);
    public static readonly DateTimeOffset At = new(2026, 8, 14, 21, 30, 0, 125, TimeSpan.Zero);

    public static Classified.Reading Reading(Device device, long boot, long seq, DateTimeOffset ts, Dictionary<string, double> numbers,
        Dictionary<string, bool>? flags = null, bool historical = false) =>
        new(new IncomingMessage("t", Array.Empty<byte>(), ts, device.DeviceId, device.DeviceId), device,
            new TelemetryReading(device.DeviceId, boot, seq, ts, historical, numbers, flags ?? []));
}
