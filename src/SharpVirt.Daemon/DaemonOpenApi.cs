using SharpVirt.Http;

namespace SharpVirt.Daemon;

/// <summary>The daemon API's OpenAPI document, embedded from src/SharpVirt.Daemon/openapi.yaml.</summary>
public static class DaemonOpenApi
{
    private static readonly Lazy<string> Document = new(() => UnixSocketApi.EmbeddedText(typeof(DaemonOpenApi).Assembly, "sharpvirtd-openapi.yaml"));

    /// <summary>The YAML text.</summary>
    public static string Text => Document.Value;
}
