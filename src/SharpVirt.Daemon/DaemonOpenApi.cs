namespace SharpVirt.Daemon;

/// <summary>The daemon API's OpenAPI document, embedded from src/SharpVirt.Daemon/openapi.yaml.</summary>
public static class DaemonOpenApi
{
    private static readonly Lazy<string> Document = new(() =>
    {
        using var stream = typeof(DaemonOpenApi).Assembly.GetManifestResourceStream("sharpvirtd-openapi.yaml")
            ?? throw new InvalidOperationException("openapi.yaml is not embedded in SharpVirt.Daemon");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The YAML text.</summary>
    public static string Text => Document.Value;
}
