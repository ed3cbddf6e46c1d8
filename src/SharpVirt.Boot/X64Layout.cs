namespace SharpVirt.Boot;

/// <summary>Every fixed guest physical address the VMM uses on x86_64, one comment each.</summary>
public static class X64Layout
{
    /// <summary>GDT the VMM builds for the 64-bit entry (null, code, data, TSS descriptors).</summary>
    public const ulong GdtAddress = 0x500;
    /// <summary>An empty IDT: the kernel installs its own before enabling interrupts.</summary>
    public const ulong IdtAddress = 0x520;
    /// <summary>The Linux zero page (struct boot_params).</summary>
    public const ulong ZeroPageAddress = 0x7000;
    /// <summary>Top of the boot stack handed to the kernel entry (grows down, below the page tables).</summary>
    public const ulong BootStackPointer = 0x8ff0;
    /// <summary>PML4 of the identity-mapped boot page tables.</summary>
    public const ulong Pml4Address = 0x9000;
    /// <summary>The PDPT that the PML4's first entry points to.</summary>
    public const ulong PdptAddress = 0xa000;
    /// <summary>Four page directories of 2 MiB pages: together they identity-map the first 4 GiB.</summary>
    public const ulong PdAddress = 0xb000;
    /// <summary>PVH start info (struct hvm_start_info) for kernels entered through the PVH note.</summary>
    public const ulong PvhInfoAddress = 0x6000;
    /// <summary>The kernel command line (its maximum size is <see cref="CmdlineMaxSize"/>).</summary>
    public const ulong CmdlineAddress = 0x20000;
    /// <summary>Room for the command line: up to the end of the 0x20000 page run.</summary>
    public const int CmdlineMaxSize = 0x10000;
    /// <summary>Start of the Extended BIOS Data Area: RAM below it is usable, above it is reserved to 1 MiB.</summary>
    public const ulong EbdaStart = 0x9fc00;
    /// <summary>Where an MP floating pointer and table go (inside the EBDA, which the kernel scans).</summary>
    public const ulong MpTableAddress = 0x9fc00;
    /// <summary>The ACPI RSDP, in the BIOS read-only area the kernel scans (0xe0000..0xfffff).</summary>
    public const ulong RsdpAddress = 0xe0000;
    /// <summary>The other ACPI tables follow the RSDP.</summary>
    public const ulong AcpiTablesAddress = 0xe0040;
    /// <summary>End of the ACPI area.</summary>
    public const ulong AcpiTablesEnd = 0x100000;
    /// <summary>Where high memory (and a bzImage's protected-mode kernel) starts: 1 MiB.</summary>
    public const ulong HighMemoryStart = 0x100000;
    /// <summary>Start of the 32-bit PCI/MMIO hole; guest RAM above this address moves to 4 GiB.</summary>
    public const ulong MmioHoleStart = 0xc000_0000;
    /// <summary>End of the 32-bit hole: 4 GiB.</summary>
    public const ulong MmioHoleEnd = 0x1_0000_0000;
    /// <summary>Three pages KVM needs for the TSS on Intel hosts, just below the IOAPIC and BIOS.</summary>
    public const ulong TssAddress = 0xfffb_d000;
    /// <summary>One page KVM needs for its real-mode identity map.</summary>
    public const ulong IdentityMapAddress = 0xfffb_c000;
    /// <summary>The IOAPIC's MMIO base (KVM's in-kernel IOAPIC).</summary>
    public const ulong IoApicAddress = 0xfec0_0000;
    /// <summary>The local APIC's MMIO base.</summary>
    public const ulong LocalApicAddress = 0xfee0_0000;
    /// <summary>Start of the range for virtio-mmio and other MMIO devices inside the hole.</summary>
    public const ulong MmioDevicesStart = 0xd000_0000;

    /// <summary>I/O port of the ACPI sleep control/status and reset registers (hardware-reduced ACPI).</summary>
    public const ushort AcpiSleepControlPort = 0x3c0;
    /// <summary>The ACPI sleep status register port.</summary>
    public const ushort AcpiSleepStatusPort = 0x3c1;
    /// <summary>The ACPI reset register port.</summary>
    public const ushort AcpiResetPort = 0x3c2;
    /// <summary>Value written to the reset register to reboot.</summary>
    public const byte AcpiResetValue = 0x1;

    /// <summary>
    /// The IOAPIC pin of the ACPI power button: an edge on it makes the DSDT's generic event device notify
    /// <c>\_SB_.PWRB</c> (ISA IRQ 3, free because there is no COM2).
    /// </summary>
    public const uint PowerButtonGsi = 3;
}
