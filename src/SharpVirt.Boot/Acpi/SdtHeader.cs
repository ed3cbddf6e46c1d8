using System.Buffers.Binary;
using System.Text;

namespace SharpVirt.Boot.Acpi;

/// <summary>
/// The 36-byte header every ACPI system description table starts with (ACPI 6.5 section 5.2.6):
/// signature, length, revision, checksum, OEM ID, OEM table ID, OEM revision, creator ID and creator revision.
/// </summary>
internal static class SdtHeader
{
    /// <summary>Size of the header.</summary>
    public const int Size = 36;

    /// <summary>Offset of the checksum byte.</summary>
    public const int ChecksumOffset = 9;

    /// <summary>The OEM ID in every table and in the RSDP (6 bytes).</summary>
    public const string OemId = "SHARPV";

    private const string OemTableId = "SVIRT   ";
    private const uint OemRevision = 1;
    private const string CreatorId = "SVMM";
    private const uint CreatorRevision = 1;

    /// <summary>Writes the header into the start of <paramref name="table"/>, whose length is the table's length.</summary>
    public static void Write(Span<byte> table, string signature, byte revision)
    {
        Ascii(table[..4], signature);
        BinaryPrimitives.WriteUInt32LittleEndian(table[4..], (uint)table.Length);
        table[8] = revision;
        table[ChecksumOffset] = 0;
        Ascii(table.Slice(10, 6), OemId);
        Ascii(table.Slice(16, 8), OemTableId);
        BinaryPrimitives.WriteUInt32LittleEndian(table[24..], OemRevision);
        Ascii(table.Slice(28, 4), CreatorId);
        BinaryPrimitives.WriteUInt32LittleEndian(table[32..], CreatorRevision);
    }

    /// <summary>Stores the checksum of the finished <paramref name="table"/>.</summary>
    public static void Seal(Span<byte> table) => TableChecksum.Store(table, ChecksumOffset);

    /// <summary>Copies an ASCII string of exactly the field's length.</summary>
    public static void Ascii(Span<byte> field, string text)
    {
        if (Encoding.ASCII.GetBytes(text, field) != field.Length)
        {
            throw new ArgumentException($"'{text}' must be {field.Length} ASCII characters", nameof(text));
        }
    }
}
