using System.Buffers.Binary;

namespace SharpVirt.Boot.Acpi;

/// <summary>
/// Resource descriptors (ACPI 6.5 section 6.4) for <see cref="Aml.ResourceTemplate"/>: each method returns one
/// descriptor's bytes, tag first. The template adds the end tag.
/// </summary>
public static class AmlResources
{
    private const byte IoTag = 0x47;                // small item 0x08, 7 data bytes
    private const byte IrqNoFlagsTag = 0x22;        // small item 0x04, 2 data bytes
    private const byte Memory32FixedTag = 0x86;     // large item 0x06
    private const byte ExtendedInterruptTag = 0x89; // large item 0x09

    /// <summary>
    /// <c>IO (Decode16, address, address, 1, length)</c>: a fixed range of <paramref name="length"/> I/O ports.
    /// </summary>
    public static byte[] Io(ushort address, byte length)
    {
        var d = new byte[8];
        d[0] = IoTag;
        d[1] = 0x01; // decodes all 16 address bits
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(2), address); // minimum base
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(4), address); // maximum base
        d[6] = 0x01; // alignment
        d[7] = length;
        return d;
    }

    /// <summary><c>IRQNoFlags () { irq }</c>: one ISA interrupt (0-15), edge-triggered, active-high.</summary>
    public static byte[] IrqNoFlags(int irq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(irq);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(irq, 15);
        var mask = (ushort)(1 << irq);
        return [IrqNoFlagsTag, (byte)mask, (byte)(mask >> 8)];
    }

    /// <summary><c>Memory32Fixed (ReadWrite or ReadOnly, address, length)</c>.</summary>
    public static byte[] Memory32Fixed(uint address, uint length, bool writable = true)
    {
        var d = new byte[12];
        d[0] = Memory32FixedTag;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(1), 9); // bytes after the length field
        d[3] = writable ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(4), address);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(8), length);
        return d;
    }

    /// <summary>
    /// <c>Interrupt (ResourceConsumer, Edge or Level, ActiveHigh or ActiveLow, Exclusive or Shared) { gsi }</c>:
    /// the extended interrupt descriptor with one global system interrupt.
    /// </summary>
    public static byte[] ExtendedInterrupt(uint gsi, bool edgeTriggered, bool activeLow = false, bool shared = false)
    {
        var flags = 0x01; // resource consumer
        flags |= edgeTriggered ? 0x02 : 0;
        flags |= activeLow ? 0x04 : 0;
        flags |= shared ? 0x08 : 0;
        var d = new byte[9];
        d[0] = ExtendedInterruptTag;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(1), 6); // flags, count and one 32-bit interrupt
        d[3] = (byte)flags;
        d[4] = 1; // interrupt table length
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(5), gsi);
        return d;
    }
}
