using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Paju.Field.Server.Accounts;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Hosting;

/// <summary>
/// What a person's request may carry that PostgreSQL cannot hold — a NUL, an unpaired surrogate, JSON nested without end,
/// a string where a number belongs, a "username" of 100,000 characters — is refused with 400 (or 401) and a reason naming
/// the field, and what was sent is kept as a dead letter; never a 500 with the text lost. Every JSON body the API document
/// describes is tried, so an endpoint added later is covered without being listed here.
/// </summary>
public sealed class PersonInputTests(WebFixture web) : IClassFixture<WebFixture>
{
    private async Task<HttpClient> AdminAsync()
    {
        var client = web.Server.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/token", new { username = WebFixture.People[Roles.Admin], password = WebFixture.Password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task Every_JSON_body_of_the_API_refuses_text_PostgreSQL_cannot_hold_naming_the_field_and_keeps_it()
    {
        using var client = await AdminAsync();
        var document = JsonNode.Parse(await client.GetStringAsync("/api/openapi.json"))!;
        var bodies = JsonBodies(document).ToList();
        Assert.True(bodies.Count >= 15, $"the API document describes only {bodies.Count} JSON bodies");

        var tried = 0;
        foreach (var (method, path, sample) in bodies)
        {
            var strings = Leaves(sample).Where(l => l.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String).ToList();
            foreach (var (field, _) in strings)
            {
                foreach (var bad in new[] { "\"a\\u0000b\"", "\"\\ud800\"" })
                {
                    var body = WithLeaf(sample, field, bad);
                    using var response = await SendAsync(client, method, path, body);
                    var problem = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} with {bad} in '{field}': {(int)response.StatusCode} {problem}");
                    var json = JsonNode.Parse(problem)!;
                    Assert.Equal("malformed_json", (string?)json["code"]);
                    var place = System.Text.RegularExpressions.Regex.Replace(field, "\\[\\d+\\]", "[]");
                    Assert.Contains($"'{place}' 항목", (string?)json["detail"], StringComparison.Ordinal);
                    Assert.Equal(body, await NewestDeadLetterAsync($"http:{method} {path}"));
                    tried++;
                }
            }
            foreach (var (field, _) in Leaves(sample).Where(l => l.Value is JsonValue v && v.GetValueKind() == JsonValueKind.Number))
            {
                foreach (var bad in new[] { "1e400", "\"x\"", "{}" })
                {
                    using var response = await SendAsync(client, method, path, WithLeaf(sample, field, bad));
                    Assert.True((int)response.StatusCode < 500, $"{method} {path} with {bad} in '{field}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            var deep = Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}");
            using (var response = await SendAsync(client, method, path, deep))
            {
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}, 10,000 deep: {(int)response.StatusCode}");
                Assert.Contains("중첩", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        Assert.True(tried >= 40, $"only {tried} text fields were tried");
    }

    [Fact]
    public async Task A_body_that_does_not_fit_its_endpoint_is_told_which_field_and_kept()
    {
        using var client = await AdminAsync();
        var body = Encoding.UTF8.GetBytes("""{"reason":"점검 중","minutes":"한 시간"}""");
        using var response = await SendAsync(client, "POST", "/api/alarms/1/shelve", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("malformed_json", (string?)problem["code"]);
        Assert.Contains("'minutes' 항목", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(body, await NewestDeadLetterAsync("http:POST /api/alarms/1/shelve"));

        // A bad field name is placed in the object that holds it, not at the field read before it.
        var badName = Encoding.UTF8.GetBytes("""{"reason":"점검 중","minutes":30,"extra":{"ok":1,"n\u0000":2}}""");
        using var named = await SendAsync(client, "POST", "/api/alarms/1/shelve", badName);
        Assert.Equal(HttpStatusCode.BadRequest, named.StatusCode);
        Assert.Contains("'extra' 항목 안의 항목 이름에 NUL", await named.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(badName, await NewestDeadLetterAsync("http:POST /api/alarms/1/shelve"));
    }

    [Fact]
    public async Task Every_operation_refuses_a_JSON_body_or_a_query_that_text_cannot_hold_even_one_that_reads_its_body_itself()
    {
        using var client = await AdminAsync();
        var document = JsonNode.Parse(await client.GetStringAsync("/api/openapi.json"))!;
        var writes = new List<string>();
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            var filled = System.Text.RegularExpressions.Regex.Replace(path, "{(\\w+)}", _ => "1");
            foreach (var (method, _) in operations!.AsObject())
            {
                if (method is "post" or "put" or "patch")
                {
                    var body = Encoding.UTF8.GetBytes("""{"name":"축제\ud800","note":"x"}""");
                    using var response = await SendAsync(client, method.ToUpperInvariant(), filled, body);
                    Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound,
                        $"{method} {filled}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    writes.Add($"{method.ToUpperInvariant()} {path}");
                }
            }
        }
        Assert.True(writes.Count >= 25, $"only {writes.Count} write operations in the API document");
        Assert.Contains("POST /api/events", writes);   // reads its body itself, as a JsonDocument

        using (var response = await client.GetAsync("/api/assets/search?q=%EB%86%80%00%EC%9D%B4"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("'q' 항목에 NUL", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal("?q=%EB%86%80%00%EC%9D%B4"u8.ToArray(), await NewestDeadLetterAsync("http:GET /api/assets/search"));
    }

    [Fact]
    public async Task A_form_with_a_NUL_is_refused_and_kept_and_an_impossible_username_is_a_wrong_sign_in()
    {
        using var client = web.Server.CreateClient();
        var form = Encoding.UTF8.GetBytes("username=admin1%00&password=x");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/login") { Content = new ByteArrayContent(form) })
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("'username' 항목에 NUL", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(form, await NewestDeadLetterAsync("http:POST /login"));

        // 100,000 characters name no account (usernames are at most 32): a wrong sign-in, recorded cut short.
        var huge = new string('가', 100_000);
        using (var response = await client.PostAsJsonAsync("/api/auth/login", new { username = huge, password = "x" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        await using var cmd = web.Db.DataSource.CreateCommand("SELECT entity_id FROM audit_log WHERE action = 'login.failed' ORDER BY id DESC LIMIT 1");
        Assert.Equal(new string('가', 64) + "…", await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_refused_body_from_someone_not_signed_in_is_kept_to_its_first_64_KiB_and_a_signed_in_one_whole()
    {
        var big = Encoding.UTF8.GetBytes($$"""{"username":"admin1\u0000","password":"{{new string('x', 200_000)}}"}""");
        using (var anonymous = web.Server.CreateClient())
        using (var response = await SendAsync(anonymous, "POST", "/api/auth/login", big))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        Assert.Equal(big[..(64 * 1024)], await NewestDeadLetterAsync("http:POST /api/auth/login"));
        await using (var cmd = web.Db.DataSource.CreateCommand("SELECT reason FROM dead_letter WHERE topic = 'http:POST /api/auth/login' ORDER BY id DESC LIMIT 1"))
        {
            Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{big.Length:N0} B 중 앞 65,536 B 만 보관"),
                (string?)await cmd.ExecuteScalarAsync(), StringComparison.Ordinal);
        }

        using var admin = await AdminAsync();
        var note = Encoding.UTF8.GetBytes($$"""{"comment":"{{new string('가', 100_000)}}\u0000"}""");
        using (var response = await SendAsync(admin, "POST", "/api/alarms/1/acknowledge", note))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        Assert.Equal(note, await NewestDeadLetterAsync("http:POST /api/alarms/1/acknowledge"));
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, byte[] body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return client.SendAsync(request);
    }

    private async Task<byte[]?> NewestDeadLetterAsync(string topic)
    {
        await using var cmd = web.Db.DataSource.CreateCommand("SELECT payload FROM dead_letter WHERE topic = $1 ORDER BY id DESC LIMIT 1");
        cmd.Parameters.Add(new() { Value = topic });
        return await cmd.ExecuteScalarAsync() as byte[];
    }

    /// <summary>Each operation with a JSON body: its method, a path with every parameter filled, and a body made from its schema.</summary>
    private static IEnumerable<(string Method, string Path, JsonNode Sample)> JsonBodies(JsonNode document)
    {
        var schemas = document["components"]?["schemas"]?.AsObject();
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                var schema = operation?["requestBody"]?["content"]?["application/json"]?["schema"];
                if (schema is null)
                {
                    continue;
                }
                var filled = System.Text.RegularExpressions.Regex.Replace(path, "{(\\w+)}", m =>
                    m.Groups[1].Value is "id" or "photo" && path.Contains("/inspections/", StringComparison.Ordinal) ? Guid.NewGuid().ToString() : "1");
                yield return (method.ToUpperInvariant(), filled, Sample(schema, schemas, 0) ?? new JsonObject());
            }
        }
    }

    private static JsonNode? Sample(JsonNode schema, JsonObject? schemas, int depth)
    {
        while (schema["$ref"] is { } reference)
        {
            schema = schemas![((string)reference!).Split('/')[^1]]!;
        }
        if (depth > 6)
        {
            return null;
        }
        if ((schema["anyOf"] ?? schema["oneOf"]) is JsonArray choices)
        {
            return Sample(choices.First(c => (string?)c?["type"] != "null")!, schemas, depth + 1);
        }
        var type = schema["type"] switch
        {
            JsonArray types => types.Select(t => (string?)t).FirstOrDefault(t => t != "null"),
            { } one => (string?)one,
            null => schema["properties"] is null ? null : "object",
        };
        return type switch
        {
            "object" => new JsonObject((schema["properties"]?.AsObject() ?? []).Select(p => KeyValuePair.Create(p.Key, Sample(p.Value!, schemas, depth + 1)))),
            "array" => new JsonArray(Sample(schema["items"] ?? new JsonObject(), schemas, depth + 1)),
            "integer" => 1,
            "number" => 1.5,
            "boolean" => true,
            "string" => (string?)schema["format"] switch
            {
                "uuid" => Guid.NewGuid().ToString(),
                "date-time" => "2026-12-03T09:00:00+09:00",
                "date" => "2026-12-03",
                _ => "x",
            },
            _ => null,
        };
    }

    /// <summary>Every value that is not an object or array, with its place as field.field (array items as field[0]).</summary>
    private static IEnumerable<(string Field, JsonNode? Value)> Leaves(JsonNode node, string place = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    foreach (var leaf in value is null ? [(place.Length == 0 ? name : $"{place}.{name}", (JsonNode?)null)] : Leaves(value, place.Length == 0 ? name : $"{place}.{name}"))
                    {
                        yield return leaf;
                    }
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var leaf in a[i] is null ? [] : Leaves(a[i]!, $"{place}[{i}]"))
                    {
                        yield return leaf;
                    }
                }
                break;
            default:
                yield return (place, node);
                break;
        }
    }

    /// <summary>The sample with one leaf replaced by raw JSON text (which may be JSON no serializer would write).</summary>
    private static byte[] WithLeaf(JsonNode sample, string field, string rawJson)
    {
        const string Marker = "\"@@leaf@@\"";
        var copy = sample.DeepClone();
        var steps = System.Text.RegularExpressions.Regex.Matches(field, "[^.\\[\\]]+|\\[(\\d+)\\]").Select(m => m.Value).ToList();
        JsonNode parent = copy;
        for (var i = 0; i < steps.Count - 1; i++)
        {
            parent = steps[i].StartsWith('[') ? parent[int.Parse(steps[i][1..^1], System.Globalization.CultureInfo.InvariantCulture)]! : parent[steps[i]]!;
        }
        var last = steps[^1];
        if (last.StartsWith('['))
        {
            parent[int.Parse(last[1..^1], System.Globalization.CultureInfo.InvariantCulture)] = "@@leaf@@";
        }
        else
        {
            parent[last] = "@@leaf@@";
        }
        return Encoding.UTF8.GetBytes(copy.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Replace(Marker, rawJson, StringComparison.Ordinal));
    }
}
