using System.Buffers.Binary;

namespace SharpVirt.Boot.Acpi;

/// <summary>The ACPI Generic Address Structure (ACPI 6.5 section 5.2.3.2), 12 bytes.</summary>
internal static class Gas
{
    /// <summary>Size of the structure.</summary>
    public const int Size = 12;

    private const byte SystemIoSpace = 1;
    private const byte ByteAccess = 1;

    /// <summary>Writes an 8-bit register in I/O port space, accessed a byte at a time.</summary>
    public static void WriteIoPort8(Span<byte> destination, ushort port)
    {
        destination[0] = SystemIoSpace;
        destination[1] = 8; // register bit width
        destination[2] = 0; // register bit offset
        destination[3] = ByteAccess;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], port);
    }
}
