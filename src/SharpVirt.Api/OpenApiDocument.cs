namespace SharpVirt.Api;

/// <summary>The API's OpenAPI document, embedded from src/SharpVirt.Api/openapi.yaml.</summary>
public static class OpenApiDocument
{
    private static readonly Lazy<string> Document = new(() =>
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("openapi.yaml")
            ?? throw new InvalidOperationException("openapi.yaml is not embedded in SharpVirt.Api");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The YAML text.</summary>
    public static string Text => Document.Value;
}
