using System.Text.Json;

namespace Paju.Field.Server.Inspections;

// The bodies the app sends, as the OpenAPI document describes them. The endpoints read the raw bytes (their hash is the
// submission's identity) and check them with InspectionSubmission and CheckInSubmission; these types only document them.

/// <summary>What was inspected: an asset by kind and code.</summary>
public sealed record SubjectBody(string Kind, string Code);

public sealed record PositionBody(double Lat, double Lon);

/// <summary>A photo announced with its inspection; its bytes follow by PUT …/photos/{photo} in chunks of ≤ 256 KB.</summary>
public sealed record PhotoBody(Guid Id, string Sha256, int Bytes, DateTimeOffset? TakenAt, PositionBody? Position, string Source);

/// <summary>PUT /api/inspections/{id}: the id (a UUID made on the phone) is the idempotency key.</summary>
public sealed record InspectionBody(
    string Program, int ProgramVersion, SubjectBody Subject, Guid? CheckIn, Dictionary<string, JsonElement> Answers, string? Grade, string? Notes,
    PositionBody? Position, double? Accuracy, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, List<PhotoBody>? Photos);

public sealed record CorrectionBody(string Reason, InspectionBody Submission);

/// <summary>POST /api/checkins: the tag as read (url and/or uid), or with method "nearby" the asset chosen from a list.</summary>
public sealed record CheckInBody(Guid Id, string Method, string? Url, string? Uid, string? Asset, string? Kind, PositionBody? Position, double? Accuracy,
    DateTimeOffset? ClientTime);
