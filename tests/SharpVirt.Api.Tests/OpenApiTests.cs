using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Vmm;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Tests;

/// <summary>The OpenAPI document kept in the repository lists exactly the routes the server maps, and is served.</summary>
public sealed partial class OpenApiTests
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

        Assert.Equal(Documented(OpenApiDocument.Text), served);
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

    /// <summary>"METHOD /path" for each operation under paths: (two-space path keys, four-space method keys).</summary>
    private static string[] Documented(string yaml)
    {
        var result = new List<string>();
        string? path = null;
        foreach (var line in yaml.Split('\n'))
        {
            if (PathLine().Match(line) is { Success: true } p)
            {
                path = p.Groups[1].Value;
            }
            else if (path is not null && MethodLine().Match(line) is { Success: true } m)
            {
                result.Add($"{m.Groups[1].Value.ToUpperInvariant()} {path}");
            }
            else if (line.StartsWith("components:", StringComparison.Ordinal))
            {
                break;
            }
        }

        return [.. result.Order(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"^  (/\S*):\s*$")]
    private static partial Regex PathLine();

    [GeneratedRegex(@"^    (get|put|patch|post|delete):\s*$")]
    private static partial Regex MethodLine();
}
