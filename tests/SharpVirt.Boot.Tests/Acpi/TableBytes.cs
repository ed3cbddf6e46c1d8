using System.Buffers.Binary;
using System.Text;

namespace SharpVirt.Boot.Tests.Acpi;

/// <summary>Little readers for table bytes, written from the specifications rather than from the builders.</summary>
internal static class TableBytes
{
    public static byte Sum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (var b in data)
        {
            sum = unchecked((byte)(sum + b));
        }

        return sum;
    }

    public static ushort U16(byte[] data, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(offset));

    public static uint U32(byte[] data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));

    public static ulong U64(byte[] data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(offset));

    public static string Ascii(byte[] data, int offset, int length) => Encoding.ASCII.GetString(data, offset, length);

    /// <summary>Decodes a PkgLength at <paramref name="offset"/>: (the encoded length, the bytes the PkgLength takes).</summary>
    public static (int Length, int Size) PkgLength(byte[] data, int offset)
    {
        var lead = data[offset];
        var follow = lead >> 6;
        if (follow == 0)
        {
            return (lead & 0x3f, 1);
        }

        var length = lead & 0x0f;
        for (var i = 0; i < follow; i++)
        {
            length |= data[offset + 1 + i] << (4 + 8 * i);
        }

        return (length, follow + 1);
    }

    public static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
}
