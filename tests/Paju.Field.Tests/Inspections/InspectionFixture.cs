using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Paju.Field.Server.Accounts;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Inspections;

/// <summary>
/// Two playgrounds (one looked after by the managing body "hanbit-apt"), a bridge, a person per role, and the server.
/// Submissions are built as the app builds them.
/// </summary>
public sealed class InspectionFixture(PostgisServer server) : IAsyncLifetime
{
    public const double Lat = 37.7599, Lon = 126.7802;

    public TestDatabase Db { get; } = new(server);

    public TestServer Server { get; private set; } = null!;

    public Dictionary<string, string> Tokens { get; } = [];

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await Db.ExecuteAsync($"""
            INSERT INTO managing_body (code, name) VALUES ('hanbit-apt', '한빛마을 9단지 관리사무소');
            INSERT INTO asset (kind, code, name, geom, managing_body_id) VALUES
              ('playground', 'PG-I0001', '한빛마을 9단지 놀이터', ST_SetSRID(ST_MakePoint({Lon}, {Lat}), 4326), (SELECT id FROM managing_body WHERE code = 'hanbit-apt')),
              ('playground', 'PG-I0002', '문산 어린이공원 놀이터', ST_SetSRID(ST_MakePoint({Lon + 0.002}, {Lat}), 4326), NULL),
              ('public_facility', 'BR-I01', '시험 교량', ST_SetSRID(ST_MakePoint({Lon}, {Lat + 0.002}), 4326), NULL);
            INSERT INTO public_facility (asset_id, facility_type) SELECT id, 'bridge' FROM asset WHERE code = 'BR-I01';
            """);
        await using (var conn = await Db.DataSource.OpenConnectionAsync())
        {
            await using var tx = await conn.BeginTransactionAsync();
            foreach (var (name, role, body) in new[]
            {
                ("inspector.kim", Roles.Inspector, (string?)null), ("inspector.lee", Roles.Inspector, null), ("body.park", Roles.ManagingBody, "hanbit-apt"),
                ("viewer.choi", Roles.Viewer, null), ("committee.jung", Roles.Committee, null), ("admin.han", Roles.Admin, null), ("operator.yoon", Roles.Operator, null),
            })
            {
                var user = await UserStore.CreateAsync(conn, tx, name, name, role, "correct-horse-42", default, department: "safety", managingBody: body);
                Tokens[name] = (await ApiTokens.IssueAsync(conn, tx, user.Id, "test", TimeSpan.FromHours(2), default)).Token;
            }
            await tx.CommitAsync();
        }
        Server = await TestServer.StartAsync(Db.ConnectionString);
    }

    public HttpClient Client(string user = "inspector.kim")
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens[user]);
        return client;
    }

    public sealed record Photo(Guid Id, byte[] Bytes)
    {
        public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Bytes));
    }

    /// <summary>A monthly check of a playground, every item 양호, with the photos announced.</summary>
    public static Dictionary<string, object?> Monthly(string asset = "PG-I0001", string grade = "양호", Photo[]? photos = null, Guid? checkIn = null,
        int version = 1, Dictionary<string, object?>? extraAnswers = null, string notes = "이상 없음")
    {
        var answers = new Dictionary<string, object?>
        {
            ["joints"] = "양호", ["wear"] = "양호", ["deformation"] = "양호", ["cleanliness"] = "양호", ["signs"] = "양호", ["ancillary"] = "양호",
        };
        foreach (var (k, v) in extraAnswers ?? [])
        {
            answers[k] = v;
        }
        if (photos is { Length: > 0 })
        {
            answers["site_photo"] = photos[0].Id.ToString();
        }
        return new Dictionary<string, object?>
        {
            ["program"] = "playground-monthly",
            ["programVersion"] = version,
            ["subject"] = new { kind = "playground", code = asset },
            ["checkIn"] = checkIn?.ToString(),
            ["answers"] = answers,
            ["grade"] = grade,
            ["notes"] = notes,
            ["position"] = new { lat = Lat, lon = Lon },
            ["accuracy"] = 6.5,
            ["startedAt"] = "2026-11-30T10:00:00+09:00",
            ["finishedAt"] = "2026-11-30T10:12:30+09:00",
            ["photos"] = (photos ?? []).Select(p => new { id = p.Id.ToString(), sha256 = p.Sha256, bytes = p.Bytes.Length, takenAt = "2026-11-30T10:05:00+09:00", source = "exif" }).ToArray(),
        };
    }

    /// <summary>The submission as done just now (the default is a day at the end of November).</summary>
    public static Dictionary<string, object?> Now(Dictionary<string, object?> submission)
    {
        submission["startedAt"] = DateTimeOffset.UtcNow.AddMinutes(-20).ToString("o");
        submission["finishedAt"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("o");
        return submission;
    }

    public async Task<(int Status, JsonElement Body)> PutAsync(Guid id, object submission, string user = "inspector.kim")
    {
        using var client = Client(user);
        using var response = await client.PutAsJsonAsync($"/api/inspections/{id}", submission);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Sends bytes [from, to) of a photo as one chunk.</summary>
    public async Task<(int Status, JsonElement Body, string? Offset)> ChunkAsync(Guid id, Photo photo, int from, int to, string user = "inspector.kim")
    {
        using var client = Client(user);
        using var content = new ByteArrayContent(photo.Bytes[from..to]);
        content.Headers.ContentRange = new ContentRangeHeaderValue(from, to - 1, photo.Bytes.Length);
        using var response = await client.PutAsync($"/api/inspections/{id}/photos/{photo.Id}", content);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(),
            response.Headers.TryGetValues("Upload-Offset", out var values) ? values.First() : null);
    }

    public async Task<long> OffsetAsync(Guid id, Photo photo, string user = "inspector.kim")
    {
        using var client = Client(user);
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/inspections/{id}/photos/{photo.Id}"));
        response.EnsureSuccessStatusCode();
        return long.Parse(response.Headers.GetValues("Upload-Offset").First());
    }

    /// <summary>Uploads a whole photo in 256 KB chunks; returns the last answer.</summary>
    public async Task<(int Status, JsonElement Body)> UploadAsync(Guid id, Photo photo, string user = "inspector.kim")
    {
        const int chunk = 256 * 1024;
        (int, JsonElement) last = default;
        for (var from = 0; from < photo.Bytes.Length; from += chunk)
        {
            var (status, body, _) = await ChunkAsync(id, photo, from, Math.Min(from + chunk, photo.Bytes.Length), user);
            last = (status, body);
            if (status is not (201 or 202 or 200))
            {
                break;
            }
        }
        return last;
    }

    public static string Problems(JsonElement problem) => problem.GetProperty("detail").GetString()!;

    public static string Text(object o) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(o));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Db.DisposeAsync();
    }
}
