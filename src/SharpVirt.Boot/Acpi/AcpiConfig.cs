namespace SharpVirt.Boot.Acpi;

/// <summary>What the ACPI tables describe.</summary>
/// <param name="VcpuCount">vCPUs, 1-<see cref="AcpiConfig.MaxVcpus"/>; their APIC IDs are 0..VcpuCount-1.</param>
public sealed record AcpiConfig(int VcpuCount)
{
    /// <summary>
    /// The most vCPUs the MADT describes: xAPIC IDs are 8 bits and 0xff is the broadcast ID.
    /// </summary>
    public const int MaxVcpus = 255;

    /// <summary>
    /// Encoded AML terms (usually from <see cref="AcpiDevices.VirtioMmio"/>) appended inside the DSDT's
    /// <c>\_SB_</c> scope after the legacy devices. Empty by default.
    /// </summary>
    public IReadOnlyList<byte[]> ExtraDsdtDevices { get; init; } = [];
}
