using SharpVirt.Memory;

namespace SharpVirt.Boot.Acpi;

/// <summary>
/// Builds the ACPI tables Linux needs to find its CPUs, interrupts and legacy devices and to power off and reset:
/// RSDP at <see cref="X64Layout.RsdpAddress"/>, then XSDT, FADT, MADT and DSDT from
/// <see cref="X64Layout.AcpiTablesAddress"/>, each 16-byte aligned, all below <see cref="X64Layout.AcpiTablesEnd"/>.
/// </summary>
public static class AcpiTables
{
    private const ulong Alignment = 16;

    /// <summary>Lays out and encodes the tables. Pure: touches no guest memory.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The vCPU count is outside 1-<see cref="AcpiConfig.MaxVcpus"/>.</exception>
    /// <exception cref="BootException">The tables (with the extra DSDT devices) do not fit below 1 MiB.</exception>
    public static AcpiImage Build(AcpiConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.VcpuCount, 1, nameof(config));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(config.VcpuCount, AcpiConfig.MaxVcpus, nameof(config));
        ArgumentNullException.ThrowIfNull(config.ExtraDsdtDevices, nameof(config));
        if (config.ExtraDsdtDevices.Any(d => d is null))
        {
            throw new ArgumentException("ExtraDsdtDevices contains a null entry", nameof(config));
        }

        var madt = Madt.Build(config.VcpuCount);
        var dsdt = Dsdt.Build(config.ExtraDsdtDevices);

        const int TableCount = 2; // the XSDT lists the FADT and the MADT; the FADT points at the DSDT
        var xsdtAddress = X64Layout.AcpiTablesAddress;
        var fadtAddress = Align(xsdtAddress + (ulong)Xsdt.SizeFor(TableCount));
        var madtAddress = Align(fadtAddress + Fadt.Size);
        var dsdtAddress = Align(madtAddress + (ulong)madt.Length);
        var end = dsdtAddress + (ulong)dsdt.Length;
        if (end > X64Layout.AcpiTablesEnd)
        {
            throw new BootException(BootErrorKind.DoesNotFit,
                $"ACPI tables for {config.VcpuCount} vCPUs and {config.ExtraDsdtDevices.Count} extra devices end at 0x{end:x}, " +
                $"past 0x{X64Layout.AcpiTablesEnd:x}");
        }

        return new AcpiImage(X64Layout.RsdpAddress,
        [
            new AcpiBlob("RSD PTR ", X64Layout.RsdpAddress, Rsdp.Build(xsdtAddress)),
            new AcpiBlob("XSDT", xsdtAddress, Xsdt.Build([fadtAddress, madtAddress])),
            new AcpiBlob("FACP", fadtAddress, Fadt.Build(dsdtAddress)),
            new AcpiBlob("APIC", madtAddress, madt),
            new AcpiBlob("DSDT", dsdtAddress, dsdt),
        ]);
    }

    /// <summary>Copies every structure of <paramref name="image"/> to its address in guest memory.</summary>
    /// <exception cref="GuestMemoryException">An address is not guest RAM.</exception>
    public static void WriteTo(GuestMemory memory, AcpiImage image)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(image);
        foreach (var blob in image.Blobs)
        {
            memory.Write(blob.Address, blob.Bytes);
        }
    }

    private static ulong Align(ulong address) => (address + Alignment - 1) & ~(Alignment - 1);
}
