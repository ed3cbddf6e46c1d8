using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>GET /openapi.yaml</c>: the API's OpenAPI 3 document, the one kept in the repository (src/SharpVirt.Api/openapi.yaml).</summary>
internal static class OpenApiEndpoints
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/openapi.yaml", async context =>
        {
            context.Response.ContentType = "application/yaml";
            await context.Response.WriteAsync(OpenApiDocument.Text, context.RequestAborted);
        });
}
