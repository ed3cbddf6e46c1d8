using System.Buffers.Binary;
using SharpVirt.Boot.Acpi;
using SharpVirt.Memory;

namespace SharpVirt.Boot.MpTable;

/// <summary>
/// The Intel MultiProcessor Specification 1.4 tables, for kernels booted without ACPI (<c>acpi=off</c>): a floating
/// pointer at <see cref="X64Layout.MpTableAddress"/> (in the first KiB of the EBDA, which Linux scans) followed by the
/// configuration table: one processor per vCPU (APIC IDs 0..n-1, the bootstrap processor 0), the ISA bus, the IOAPIC
/// (ID n), ISA IRQs on their IOAPIC pins (IRQ0 on pin 2, as the MADT's override says; IRQ2, the PIC cascade, has no
/// pin), ExtINT on LINT0 (the 8259 in virtual wire mode) and NMI on LINT1.
/// </summary>
public static class MpTable
{
    /// <summary>The tables must end here: the EBDA's first KiB ends at the 640 KiB line.</summary>
    public const ulong AreaEnd = 0xa0000;

    /// <summary>The most vCPUs whose tables fit between <see cref="X64Layout.MpTableAddress"/> and <see cref="AreaEnd"/>.</summary>
    public const int MaxVcpus = (int)((AreaEnd - X64Layout.MpTableAddress - FixedSize) / MpEntries.ProcessorSize);

    private const int FloatingPointerSize = 16;
    private const int HeaderSize = 44;
    private const byte SpecRevision = 4; // MP specification 1.4
    private const int IsaIrqCount = 16;
    private const byte TimerPin = 2;
    private const byte CascadeIrq = 2;
    private const int IoInterruptCount = IsaIrqCount - 1; // every ISA IRQ but the cascade
    private const int FixedSize = FloatingPointerSize + HeaderSize + MpEntries.EntrySize * (2 + IoInterruptCount + 2);

    /// <summary>Bytes the tables take for <paramref name="vcpuCount"/> vCPUs.</summary>
    public static int SizeFor(int vcpuCount) => FixedSize + MpEntries.ProcessorSize * vcpuCount;

    /// <summary>The floating pointer and configuration table, to be copied to <see cref="X64Layout.MpTableAddress"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The vCPU count is below 1 or above 254 (APIC ID 255 is the broadcast ID).</exception>
    /// <exception cref="BootException">The tables for this many vCPUs (more than <see cref="MaxVcpus"/>) would cross <see cref="AreaEnd"/>.</exception>
    public static byte[] Build(int vcpuCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vcpuCount, 254);
        var size = SizeFor(vcpuCount);
        if (X64Layout.MpTableAddress + (ulong)size > AreaEnd)
        {
            throw new BootException(BootErrorKind.DoesNotFit,
                $"the MP table for {vcpuCount} vCPUs takes {size} bytes and would end past 0x{AreaEnd:x} (at most {MaxVcpus} vCPUs fit)");
        }

        var tables = new byte[size];
        var span = tables.AsSpan();
        var config = span[FloatingPointerSize..];
        var entryCount = WriteEntries(config[HeaderSize..], vcpuCount);
        WriteHeader(config, entryCount);
        WriteFloatingPointer(span[..FloatingPointerSize], X64Layout.MpTableAddress + FloatingPointerSize);
        return tables;
    }

    /// <summary>Builds the tables and copies them to <see cref="X64Layout.MpTableAddress"/>.</summary>
    public static void WriteTo(GuestMemory memory, int vcpuCount)
    {
        ArgumentNullException.ThrowIfNull(memory);
        memory.Write(X64Layout.MpTableAddress, Build(vcpuCount));
    }

    private static int WriteEntries(Span<byte> entries, int vcpuCount)
    {
        var ioApicId = (byte)vcpuCount; // unique among APIC IDs, as the specification requires
        var at = 0;
        var count = 0;
        for (var cpu = 0; cpu < vcpuCount; cpu++)
        {
            MpEntries.Processor(entries.Slice(at, MpEntries.ProcessorSize), (byte)cpu);
            at += MpEntries.ProcessorSize;
            count++;
        }

        MpEntries.IsaBus(Next(entries, ref at, ref count));
        MpEntries.IoApic(Next(entries, ref at, ref count), ioApicId, (uint)X64Layout.IoApicAddress);
        for (var irq = (byte)0; irq < IsaIrqCount; irq++)
        {
            if (irq != CascadeIrq)
            {
                MpEntries.IoInterrupt(Next(entries, ref at, ref count), irq, ioApicId, irq == 0 ? TimerPin : irq);
            }
        }

        MpEntries.LocalInterrupt(Next(entries, ref at, ref count), MpInterruptKind.ExtInt, lint: 0);
        MpEntries.LocalInterrupt(Next(entries, ref at, ref count), MpInterruptKind.Nmi, lint: 1);
        return count;
    }

    private static Span<byte> Next(Span<byte> entries, ref int at, ref int count)
    {
        var entry = entries.Slice(at, MpEntries.EntrySize);
        at += MpEntries.EntrySize;
        count++;
        return entry;
    }

    private static void WriteHeader(Span<byte> config, int entryCount)
    {
        "PCMP"u8.CopyTo(config);
        BinaryPrimitives.WriteUInt16LittleEndian(config[4..], (ushort)config.Length); // base table length
        config[6] = SpecRevision;
        "SHARPV  "u8.CopyTo(config[8..]);      // OEM ID
        "SVIRT       "u8.CopyTo(config[16..]); // product ID
        BinaryPrimitives.WriteUInt16LittleEndian(config[34..], (ushort)entryCount);
        BinaryPrimitives.WriteUInt32LittleEndian(config[36..], (uint)X64Layout.LocalApicAddress);
        TableChecksum.Store(config, 7);
    }

    private static void WriteFloatingPointer(Span<byte> pointer, ulong configAddress)
    {
        "_MP_"u8.CopyTo(pointer);
        BinaryPrimitives.WriteUInt32LittleEndian(pointer[4..], (uint)configAddress);
        pointer[8] = 1; // length in 16-byte units
        pointer[9] = SpecRevision;
        pointer[11] = 0; // feature byte 1: a configuration table is present
        pointer[12] = 0; // feature byte 2: IMCR absent, virtual wire mode
        TableChecksum.Store(pointer, 10);
    }
}
