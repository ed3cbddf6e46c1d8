using System.Buffers.Binary;

namespace SharpVirt.Boot.Acpi;

/// <summary>The Extended System Description Table (ACPI 6.5 section 5.2.8): the header, then 64-bit table addresses.</summary>
internal static class Xsdt
{
    private const byte Revision = 1;

    /// <summary>Size of an XSDT with <paramref name="entries"/> entries.</summary>
    public static int SizeFor(int entries) => SdtHeader.Size + 8 * entries;

    /// <summary>An XSDT listing <paramref name="tables"/> in order.</summary>
    public static byte[] Build(ReadOnlySpan<ulong> tables)
    {
        var xsdt = new byte[SizeFor(tables.Length)];
        var span = xsdt.AsSpan();
        SdtHeader.Write(span, "XSDT", Revision);
        for (var i = 0; i < tables.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[(SdtHeader.Size + 8 * i)..], tables[i]);
        }

        SdtHeader.Seal(span);
        return xsdt;
    }
}
