using SharpVirt.Http;

namespace SharpVirt.Api;

/// <summary>The API's OpenAPI document, embedded from src/SharpVirt.Api/openapi.yaml.</summary>
public static class OpenApiDocument
{
    private static readonly Lazy<string> Document = new(() => UnixSocketApi.EmbeddedText(typeof(OpenApiDocument).Assembly, "openapi.yaml"));

    /// <summary>The YAML text.</summary>
    public static string Text => Document.Value;
}
