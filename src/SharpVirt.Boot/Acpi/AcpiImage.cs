namespace SharpVirt.Boot.Acpi;

/// <summary>One structure of the ACPI image and the guest physical address it belongs at.</summary>
/// <param name="Signature">The table signature ("FACP", "APIC", ...), or "RSD PTR " for the RSDP.</param>
/// <param name="Address">Guest physical address.</param>
/// <param name="Bytes">The complete structure, checksums included.</param>
public sealed record AcpiBlob(string Signature, ulong Address, byte[] Bytes)
{
    /// <summary>The first address after the structure.</summary>
    public ulong End => Address + (ulong)Bytes.Length;
}

/// <summary>The ACPI tables of one VM, laid out in guest physical memory, ready to copy.</summary>
/// <param name="RsdpAddress">Where the RSDP is: the value for boot_params.acpi_rsdp_addr.</param>
/// <param name="Blobs">Every structure, the RSDP first, in address order, none overlapping.</param>
public sealed record AcpiImage(ulong RsdpAddress, IReadOnlyList<AcpiBlob> Blobs)
{
    /// <summary>The structure with <paramref name="signature"/>.</summary>
    /// <exception cref="KeyNotFoundException">The image has no such structure.</exception>
    public AcpiBlob Table(string signature) =>
        Blobs.FirstOrDefault(b => b.Signature == signature)
        ?? throw new KeyNotFoundException($"the ACPI image has no '{signature}' table");
}
