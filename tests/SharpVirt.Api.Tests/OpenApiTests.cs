using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.TestUtils;
using SharpVirt.Vmm;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Tests;

/// <summary>The OpenAPI document kept in the repository lists exactly the routes the server maps, and is served.</summary>
public sealed class OpenApiTests
{
    [Fact]
    public void The_document_and_the_server_have_the_same_routes_and_methods()
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        using var controller = new VmmController("t", new ConsoleBackend(Stream.Null));
        ApiServer.MapRoutes(app, controller);
        var served = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])
                .Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(OpenApiOperations.Of(OpenApiDocument.Text), served);
        Assert.True(served.Length >= 20, $"only {served.Length} routes found: {string.Join(", ", served)}");
    }

    [Fact]
    public async Task The_server_serves_the_document()
    {
        await using var api = await ApiHarness.StartAsync();
        var (status, body) = await api.Send("GET", "/openapi.yaml");
        Assert.Equal(200, status);
        Assert.Equal(OpenApiDocument.Text, body);
        Assert.StartsWith("openapi: 3.", body, StringComparison.Ordinal);
    }
}
