using System.Buffers.Binary;

namespace SharpVirt.Boot.Acpi;

/// <summary>The Root System Description Pointer, ACPI 2.0+ form (ACPI 6.5 section 5.2.5.3), 36 bytes.</summary>
internal static class Rsdp
{
    /// <summary>Size of the structure (revision 2).</summary>
    public const int Size = 36;

    private const byte Revision = 2;
    private const int ChecksumOffset = 8;          // covers the first 20 bytes (the ACPI 1.0 part)
    private const int Acpi1Length = 20;
    private const int ExtendedChecksumOffset = 32; // covers all 36 bytes

    /// <summary>An RSDP pointing at the XSDT only (no RSDT: its address is 0).</summary>
    public static byte[] Build(ulong xsdtAddress)
    {
        var rsdp = new byte[Size];
        var span = rsdp.AsSpan();
        SdtHeader.Ascii(span[..8], "RSD PTR ");
        SdtHeader.Ascii(span.Slice(9, 6), SdtHeader.OemId);
        span[15] = Revision;
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], 0); // RSDT address
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], xsdtAddress);
        TableChecksum.Store(span[..Acpi1Length], ChecksumOffset);
        TableChecksum.Store(span, ExtendedChecksumOffset);
        return rsdp;
    }
}
