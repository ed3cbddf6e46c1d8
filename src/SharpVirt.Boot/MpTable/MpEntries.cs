using System.Buffers.Binary;

namespace SharpVirt.Boot.MpTable;

/// <summary>Writers for the MP configuration table's base entries (Intel MultiProcessor Specification 1.4, section 4.3).</summary>
internal static class MpEntries
{
    /// <summary>Size of a processor entry.</summary>
    public const int ProcessorSize = 20;

    /// <summary>Size of every other base entry type.</summary>
    public const int EntrySize = 8;

    /// <summary>The ISA bus's ID, the only bus.</summary>
    public const byte IsaBusId = 0;

    private const byte ProcessorType = 0, BusType = 1, IoApicType = 2, IoInterruptType = 3, LocalInterruptType = 4;

    private const byte LocalApicVersion = 0x14;    // an integrated APIC, as KVM reports
    private const byte IoApicVersion = 0x11;       // KVM's IOAPIC version register
    private const byte CpuEnabled = 0x01;
    private const byte CpuBootstrap = 0x02;
    private const uint CpuSignature = 0x600;       // family 6, model 0, stepping 0
    private const uint CpuFeatures = 0x201;        // CPUID.1:EDX FPU (bit 0) and APIC (bit 9)
    private const byte IoApicEnabled = 0x01;
    private const ushort Conforming = 0;           // polarity and trigger as the bus defines them (ISA: edge, high)

    /// <summary>Writes a processor entry; the bootstrap processor is the one with APIC ID 0.</summary>
    public static void Processor(Span<byte> entry, byte apicId)
    {
        entry[0] = ProcessorType;
        entry[1] = apicId;
        entry[2] = LocalApicVersion;
        entry[3] = apicId == 0 ? (byte)(CpuEnabled | CpuBootstrap) : CpuEnabled;
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], CpuSignature);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], CpuFeatures);
        entry[12..ProcessorSize].Clear(); // reserved
    }

    /// <summary>Writes the ISA bus entry.</summary>
    public static void IsaBus(Span<byte> entry)
    {
        entry[0] = BusType;
        entry[1] = IsaBusId;
        "ISA   "u8.CopyTo(entry[2..]);
    }

    /// <summary>Writes the IOAPIC entry.</summary>
    public static void IoApic(Span<byte> entry, byte id, uint address)
    {
        entry[0] = IoApicType;
        entry[1] = id;
        entry[2] = IoApicVersion;
        entry[3] = IoApicEnabled;
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], address);
    }

    /// <summary>Writes an I/O interrupt assignment: ISA IRQ <paramref name="irq"/> drives IOAPIC pin <paramref name="pin"/>.</summary>
    public static void IoInterrupt(Span<byte> entry, byte irq, byte ioApicId, byte pin)
    {
        entry[0] = IoInterruptType;
        entry[1] = (byte)MpInterruptKind.Int;
        BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], Conforming);
        entry[4] = IsaBusId;
        entry[5] = irq;
        entry[6] = ioApicId;
        entry[7] = pin;
    }

    /// <summary>Writes a local interrupt assignment to LINT<paramref name="lint"/> of every local APIC.</summary>
    public static void LocalInterrupt(Span<byte> entry, MpInterruptKind kind, byte lint)
    {
        entry[0] = LocalInterruptType;
        entry[1] = (byte)kind;
        BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], Conforming);
        entry[4] = IsaBusId;
        entry[5] = 0;    // source bus IRQ
        entry[6] = 0xff; // every local APIC
        entry[7] = lint;
    }
}

/// <summary>Interrupt types of I/O and local interrupt entries.</summary>
internal enum MpInterruptKind : byte
{
    /// <summary>A vectored interrupt, the vector from the APIC redirection entry.</summary>
    Int = 0,
    /// <summary>A non-maskable interrupt.</summary>
    Nmi = 1,
    /// <summary>An external interrupt, the vector from the 8259 PIC.</summary>
    ExtInt = 3,
}
