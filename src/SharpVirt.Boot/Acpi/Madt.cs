using System.Buffers.Binary;

namespace SharpVirt.Boot.Acpi;

/// <summary>
/// The Multiple APIC Description Table, revision 5 (ACPI 6.5 section 5.2.12): one local APIC per vCPU,
/// KVM's in-kernel IOAPIC, the IRQ0 override and the LINT1 NMI wiring.
/// </summary>
internal static class Madt
{
    /// <summary>The IOAPIC's ID: 0, the value KVM's IOAPIC ID register holds after reset (QEMU's MADT uses it too).</summary>
    public const byte IoApicId = 0;

    /// <summary>The GSI the ISA timer (IRQ0) is routed to, as on a PC and in QEMU.</summary>
    public const uint TimerGsi = 2;

    private const byte Revision = 5;
    private const int FixedSize = SdtHeader.Size + 8; // local APIC address and flags
    private const uint PcatCompat = 1;                // a dual 8259 PIC is present too

    private const byte LocalApicType = 0, LocalApicLength = 8;
    private const byte IoApicType = 1, IoApicLength = 12;
    private const byte SourceOverrideType = 2, SourceOverrideLength = 10;
    private const byte LocalApicNmiType = 4, LocalApicNmiLength = 6;

    private const uint LocalApicEnabled = 1;
    private const ushort EdgeActiveHigh = 0x0005; // MPS INTI flags: polarity 01 (high), trigger 01 (edge)
    private const ushort Conforming = 0;
    private const byte AllProcessors = 0xff;

    /// <summary>Size of the MADT for <paramref name="vcpuCount"/> vCPUs.</summary>
    public static int SizeFor(int vcpuCount) =>
        FixedSize + vcpuCount * LocalApicLength + IoApicLength + SourceOverrideLength + LocalApicNmiLength;

    /// <summary>The MADT for vCPUs whose APIC IDs and ACPI processor UIDs are 0..<paramref name="vcpuCount"/>-1.</summary>
    public static byte[] Build(int vcpuCount)
    {
        var madt = new byte[SizeFor(vcpuCount)];
        var span = madt.AsSpan();
        SdtHeader.Write(span, "APIC", Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(span[36..], (uint)X64Layout.LocalApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], PcatCompat);

        var at = FixedSize;
        for (var cpu = 0; cpu < vcpuCount; cpu++)
        {
            var entry = span.Slice(at, LocalApicLength);
            entry[0] = LocalApicType;
            entry[1] = LocalApicLength;
            entry[2] = (byte)cpu; // ACPI processor UID
            entry[3] = (byte)cpu; // APIC ID
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], LocalApicEnabled);
            at += LocalApicLength;
        }

        var ioApic = span.Slice(at, IoApicLength);
        ioApic[0] = IoApicType;
        ioApic[1] = IoApicLength;
        ioApic[2] = IoApicId;
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[4..], (uint)X64Layout.IoApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[8..], 0); // GSI base
        at += IoApicLength;

        // IRQ0 -> GSI 2, edge, active-high. The flags are explicit, not "conforming": the FADT's SCI_INT is 0 on a
        // hardware-reduced platform, so Linux takes an override of IRQ0 for the SCI's and would read conforming
        // flags as the SCI default (level, active-low).
        var timer = span.Slice(at, SourceOverrideLength);
        timer[0] = SourceOverrideType;
        timer[1] = SourceOverrideLength;
        timer[2] = 0; // bus: ISA
        timer[3] = 0; // source: IRQ0
        BinaryPrimitives.WriteUInt32LittleEndian(timer[4..], TimerGsi);
        BinaryPrimitives.WriteUInt16LittleEndian(timer[8..], EdgeActiveHigh);
        at += SourceOverrideLength;

        var nmi = span.Slice(at, LocalApicNmiLength);
        nmi[0] = LocalApicNmiType;
        nmi[1] = LocalApicNmiLength;
        nmi[2] = AllProcessors;
        BinaryPrimitives.WriteUInt16LittleEndian(nmi[3..], Conforming);
        nmi[5] = 1; // LINT1

        SdtHeader.Seal(span);
        return madt;
    }
}
