namespace SharpVirt.Vmm;

/// <summary>Facts about this VMM build.</summary>
public static class VmmInfo
{
    /// <summary>The version (of the SharpVirt.Vmm assembly).</summary>
    public static string Version { get; } = typeof(VmmInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
