using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Paju.Field.Json;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Ingest;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// Every JSON or form body a person sends is read once before its endpoint, for what JSON and HTML forms allow and
/// PostgreSQL's text refuses: a NUL character (\u0000) or an unpaired surrogate (\ud800) in any name or value, and JSON
/// nested deeper than any request of this API needs. Such a request is refused with 400, the field named, and kept as a
/// dead letter for an operator — instead of reaching SQL and failing there as a 500 with the person's text lost. The
/// endpoints still check their own rules; this is the one check no endpoint can forget. JSON that does not parse is left
/// to the endpoint (see <see cref="UnreadableRequestHandler"/>), which knows what it expected.
/// </summary>
public static class RequestTextCheck
{
    /// <summary>Deeper than any body of this API (an inspection's answers are depth 4).</summary>
    public const int MaxDepth = 32;

    /// <summary>How much of a refused body is kept when nobody is signed in.</summary>
    public const int AnonymousKeptBytes = 64 * 1024;

    /// <summary>Where the body read here is left for <see cref="UnreadableRequestHandler"/> to keep, should binding fail.</summary>
    internal const string BodyKey = "paju.request-body";

    public static IApplicationBuilder UseRequestTextCheck(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        // Only a request some endpoint takes: a body sent to no endpoint gets its 404 and is not kept.
        if (http.GetEndpoint() is null)
        {
            await next(http);
            return;
        }
        if (UnstorableForm(request.Query.Select(q => (q.Key, q.Value))) is { } inQuery)
        {
            await RefuseAsync(http, "malformed_query", "주소(URL)에 담긴 값에 저장할 수 없는 문자가 있습니다", inQuery,
                System.Text.Encoding.UTF8.GetBytes(request.QueryString.Value ?? ""));
            return;
        }
        var kind = BodyKind(request);
        if (kind is null)
        {
            await next(http);
            return;
        }
        request.EnableBuffering();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, http.RequestAborted);
        request.Body.Position = 0;
        var body = buffer.ToArray();
        http.Items[BodyKey] = body;
        var problem = kind == "json" ? UnstorableJson(body) : await UnstorableFormAsync(request);
        request.Body.Position = 0;
        if (problem is null)
        {
            await next(http);
            return;
        }
        await RefuseAsync(http, kind == "json" ? "malformed_json" : "malformed_form", "보낸 내용에 저장할 수 없는 문자가 있습니다", problem, body);
    });

    /// <summary>Refuses the request with a problem a person can act on, and keeps what was sent.</summary>
    /// <param name="technical">What the JSON reader said, for whoever wrote the client; kept and listed, not the detail.</param>
    internal static async Task RefuseAsync(HttpContext http, string code, string title, string problem, byte[] body,
        int status = StatusCodes.Status400BadRequest, string? technical = null)
    {
        var topic = DeadLetters.TopicOf(http.Request);
        var problems = technical is null ? new[] { problem } : [problem, technical];
        var db = http.RequestServices.GetRequiredService<Npgsql.NpgsqlDataSource>();
        // Someone signed in answers for what they send and is kept whole. Anyone else (a sign-in page is open to all) is
        // kept to its first 64 KiB, so refused bodies cannot be used to fill the database; the reason says what was cut.
        var kept = body;
        var reason = string.Join(" ", problems);
        if (http.User.Identity?.IsAuthenticated != true && body.Length > AnonymousKeptBytes)
        {
            kept = body[..AnonymousKeptBytes];
            reason += string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $" (로그인하지 않은 요청이라 {body.Length:N0} B 중 앞 {AnonymousKeptBytes:N0} B 만 보관)");
        }
        await DeadLetters.KeepAsync(db, Actor.From(http), topic, code, reason, kept, CancellationToken.None);
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestTextCheck))
            .LogWarning("Refused {Topic} from {User} ({Status}): {Problem} — the body ({Bytes} B) is kept as a dead letter",
                topic, Actor.From(http).Name, status, string.Join(" ", problems), body.Length);
        http.Response.StatusCode = status;
        if (WantsPage(http.Request) && http.RequestServices.GetService<WebApps.WebAppFiles>()?.Page("shared", "refused") is { } template)
        {
            // A browser that posted a form or followed a link shows a page, not JSON: what was wrong, and the way back.
            await WebApps.PageResults.Html(http, WebApps.PageResults.Fill(template, new Dictionary<string, string>
            {
                ["title"] = WebApps.PageResults.Encode(title),
                ["problem"] = WebApps.PageResults.Encode(problem),
                ["back"] = WebApps.PageResults.Encode($"{http.Request.PathBase}{http.Request.Path}"),
            }), status).ExecuteAsync(http);
            return;
        }
        await Results.Problem(problem, title: title, statusCode: status,
            extensions: new Dictionary<string, object?> { ["code"] = code, ["problems"] = problems }).ExecuteAsync(http);
    }

    /// <summary>A browser's navigation or form post asks for HTML by name; scripts and API clients ask for JSON or anything.</summary>
    private static bool WantsPage(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static string? BodyKind(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || request.ContentLength == 0)
        {
            return null;
        }
        var type = request.ContentType ?? "";
        if (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.Split(';')[0].EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return "json";
        }
        return type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ? "form" : null;
    }

    /// <summary>The first name or string PostgreSQL could not hold, said with its place; null when clean or not JSON at all.</summary>
    internal static string? UnstorableJson(byte[] body)
    {
        // A body that is not JSON at all is the endpoint's to refuse: it knows what it expected.
        if (!JsonTextScan.TryFind(body, MaxDepth, out var finding) || finding is null)
        {
            return null;
        }
        var place = Place(finding.Path);
        if (finding.InName)
        {
            place = finding.Path.Count == 0 ? "본문의 항목 이름" : $"{place} 안의 항목 이름";
        }
        return finding.Problem switch
        {
            JsonTextScan.Problem.TooDeep => $"JSON 이 {MaxDepth}단계보다 깊게 중첩되어 있습니다. 이 API 의 어떤 요청도 그렇게 깊지 않습니다.",
            JsonTextScan.Problem.Nul => $"{place}에 NUL 문자(\\u0000)가 있습니다. 저장할 수 없는 문자이니 지우고 다시 보내세요.",
            _ => $"{place}에 짝이 없는 UTF-16 서로게이트(\\ud800–\\udfff)나 잘못된 UTF-8 이 있습니다. 글자가 아니므로 저장할 수 없습니다.",
        };
    }

    /// <summary>Where in the body, as a person reads it: 'photos[].source' 항목.</summary>
    private static string Place(IReadOnlyList<JsonTextScan.Step> path)
    {
        var place = new System.Text.StringBuilder();
        foreach (var step in path)
        {
            if (step.IsIndex)
            {
                place.Append("[]");
            }
            else if (step.Name!.Length > 0)
            {
                place.Append(place.Length > 0 ? "." : "").Append(step.Name);
            }
        }
        return place.Length == 0 ? "본문" : $"'{place}' 항목";
    }

    private static async Task<string?> UnstorableFormAsync(HttpRequest request)
    {
        var reader = new FormReader(request.Body);
        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form;
        try
        {
            form = await reader.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return null;   // over the form's limits: the endpoint's own form reading refuses it
        }
        return UnstorableForm(form.Select(f => (f.Key, f.Value)));
    }

    /// <summary>The first form or query field whose name or value holds a NUL or an unpaired surrogate, said with its name.</summary>
    private static string? UnstorableForm(IEnumerable<(string Name, Microsoft.Extensions.Primitives.StringValues Values)> fields)
    {
        foreach (var (name, values) in fields)
        {
            foreach (var value in values.Append(name))
            {
                if (value is null)
                {
                    continue;
                }
                // The name is shown as text can hold it: the reason itself is stored.
                if (value.Contains('\0', StringComparison.Ordinal))
                {
                    return $"'{PostgresText.Storable(name)}' 항목에 NUL 문자(%00)가 있습니다. 저장할 수 없는 문자이니 지우고 다시 보내세요.";
                }
                if (!PostgresText.CanHold(value))
                {
                    return $"'{PostgresText.Storable(name)}' 항목에 글자가 아닌 바이트가 있습니다. 저장할 수 없습니다.";
                }
            }
        }
        return null;
    }
}
