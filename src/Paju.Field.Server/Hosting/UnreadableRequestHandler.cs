using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// A request whose body or parameters cannot be bound to what the endpoint takes (JSON that does not parse, a string
/// where a number belongs, a missing parameter). Left to itself ASP.NET Core answers with a bare 400 and says why only in
/// a debug log; here the person gets the reason and the field, and a body that was sent is kept as a dead letter.
/// Binding throws instead of answering because <c>RouteHandlerOptions.ThrowOnBadRequest</c> is set (HostingServices).
/// </summary>
public sealed class UnreadableRequestHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad || http.Response.HasStarted)
        {
            return false;
        }
        var (code, problem, technical) = bad.InnerException is JsonException json
            ? ("malformed_json", Describe(json), json.Message)
            : ("bad_request", "요청의 값이 이 기능이 받는 형식과 다릅니다. 아래 설명의 항목을 확인하세요.", bad.Message);
        var body = http.Items[RequestTextCheck.BodyKey] as byte[] ?? [];
        await RequestTextCheck.RefuseAsync(http, code, "요청을 읽을 수 없습니다", problem, body, bad.StatusCode, technical);
        return true;
    }

    /// <summary>What a person can fix: which field, and what the reader met there.</summary>
    private static string Describe(JsonException e)
    {
        var place = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "본문" : $"'{(e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path[1..])}' 항목";
        var position = e.LineNumber is { } line ? $" ({line + 1}번째 줄, {e.BytePositionInLine + 1}번째 바이트)" : "";
        return $"보낸 JSON 의 {place}을 읽을 수 없습니다{position}. 값의 종류(문자열·숫자·참거짓)와 괄호·따옴표를 확인하세요.";
    }
}
