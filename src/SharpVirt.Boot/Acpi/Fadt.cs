using System.Buffers.Binary;

namespace SharpVirt.Boot.Acpi;

/// <summary>
/// The Fixed ACPI Description Table, revision 6.3 (ACPI 6.5 section 5.2.9), for a hardware-reduced platform:
/// no SCI, no PM1/GPE blocks, no FACS; power-off and reset go through the sleep control and reset registers
/// (8-bit I/O ports <see cref="X64Layout.AcpiSleepControlPort"/>.. <see cref="X64Layout.AcpiResetPort"/>).
/// </summary>
internal static class Fadt
{
    /// <summary>Size of a revision 6 FADT.</summary>
    public const int Size = 276;

    private const byte Revision = 6;
    private const byte MinorRevision = 3;

    // Field offsets (ACPI 6.5 table 5.9).
    private const int DsdtOffset = 40;
    private const int CenturyOffset = 108;
    private const int IapcBootArchOffset = 109;
    private const int FlagsOffset = 112;
    private const int ResetRegOffset = 116;
    private const int ResetValueOffset = 128;
    private const int MinorVersionOffset = 131;
    private const int XDsdtOffset = 140;
    private const int SleepControlRegOffset = 244;
    private const int SleepStatusRegOffset = 256;

    // IAPC_BOOT_ARCH: legacy ISA devices exist (bit 0) and so does an 8042 (bit 1; without it Linux marks the
    // i8042 "firmware absent" and never probes it); no VGA (bit 2). The CMOS RTC is present (bit 5 clear).
    private const ushort IapcBootArch = 0x0001 | 0x0002 | 0x0004;

    // Flags: PWR_BUTTON (4) and SLP_BUTTON (5) mean "no fixed-feature button"; RESET_REG_SUP (10); HW_REDUCED_ACPI (20).
    private const uint Flags = (1u << 4) | (1u << 5) | (1u << 10) | (1u << 20);

    // The CMOS register that holds the century (the VMM's RTC keeps it at 0x32, like a PC).
    private const byte CenturyRegister = 0x32;

    /// <summary>The FADT, pointing at the DSDT at <paramref name="dsdtAddress"/> (a 32-bit address).</summary>
    public static byte[] Build(ulong dsdtAddress)
    {
        var fadt = new byte[Size];
        var span = fadt.AsSpan();
        SdtHeader.Write(span, "FACP", Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(span[DsdtOffset..], checked((uint)dsdtAddress));
        span[CenturyOffset] = CenturyRegister;
        BinaryPrimitives.WriteUInt16LittleEndian(span[IapcBootArchOffset..], IapcBootArch);
        BinaryPrimitives.WriteUInt32LittleEndian(span[FlagsOffset..], Flags);
        Gas.WriteIoPort8(span[ResetRegOffset..], X64Layout.AcpiResetPort);
        span[ResetValueOffset] = X64Layout.AcpiResetValue;
        span[MinorVersionOffset] = MinorRevision;
        BinaryPrimitives.WriteUInt64LittleEndian(span[XDsdtOffset..], dsdtAddress);
        Gas.WriteIoPort8(span[SleepControlRegOffset..], X64Layout.AcpiSleepControlPort);
        Gas.WriteIoPort8(span[SleepStatusRegOffset..], X64Layout.AcpiSleepStatusPort);
        SdtHeader.Seal(span);
        return fadt;
    }
}
