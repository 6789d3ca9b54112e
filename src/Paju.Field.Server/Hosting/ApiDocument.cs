using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Paju.Field.Server.Hosting;

/// <summary>
/// The OpenAPI 3 document of the product's own API (/api/openapi.json), generated from the endpoints and their
/// declared bodies; the OGC API keeps its own (/ogc/api), as the standard asks.
/// </summary>
public static class ApiDocument
{
    public const string Path = "/api/openapi.json";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi("api", options =>
        {
            options.ShouldInclude = d => d.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "파주 현장안전 API",
                    Version = "1",
                    Description = "Paju Field: check-ins, inspections and their photos, programs, what is due nearby, alarms, devices. " +
                                  "Sign in with a bearer token (POST /api/auth/token) or the web cookie. Errors are RFC 9457 problem details in Korean.",
                };
                return Task.CompletedTask;
            });
        });

    // The document is named "api", so this serves /api/openapi.json.
    public static void MapApiDocument(this WebApplication app) => app.MapOpenApi("/{documentName}/openapi.json").AllowAnonymous();
}
