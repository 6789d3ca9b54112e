using Paju.Field.Server.Devices;
using Paju.Field.Telemetry;

namespace Paju.Field.Server.Ingest;

/// <summary>
/// What a message turned out to be — one of a closed set: a reading, a status, a check-in (each from
/// a known device) or a rejection with its reason. The writer switches over these; nothing is half-set.
/// </summary>
public abstract record Classified
{
    private Classified(IncomingMessage message) => Message = message;

    public IncomingMessage Message { get; }

    /// <summary>Understood and attributed to a registered device.</summary>
    public abstract record FromDevice : Classified
    {
        private protected FromDevice(IncomingMessage message, Device device) : base(message) => Device = device;

        public Device Device { get; }
    }

    public sealed record Reading(IncomingMessage Message, Device Device, TelemetryReading Value) : FromDevice(Message, Device);

    public sealed record Status(IncomingMessage Message, Device Device, DeviceStatus Value) : FromDevice(Message, Device);

    public sealed record CheckIn(IncomingMessage Message, Device Device, Telemetry.CheckIn Value) : FromDevice(Message, Device);

    /// <summary>Kept as a dead letter: <paramref name="Reason"/> says what a person can do about it.</summary>
    public sealed record Rejected(IncomingMessage Message, RejectReason Code, string Reason) : Classified(Message);
}
