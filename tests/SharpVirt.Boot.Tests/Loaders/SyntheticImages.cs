using System.Buffers.Binary;
using System.Text;

namespace SharpVirt.Boot.Tests.Loaders;

/// <summary>A minimal bzImage: a setup header with the fields the loader reads, then a protected-mode "kernel".</summary>
internal sealed class BzImageBuilder
{
    public byte SetupSectors { get; set; } = 4;
    public ushort Version { get; set; } = 0x020f;
    public ushort XLoadFlags { get; set; } = 0x1; // XLF_KERNEL_64
    public byte JumpDisplacement { get; set; } = 0x6a; // header runs to 0x26c, as in real kernels
    public uint InitSize { get; set; } = 0x4000;
    public uint InitrdAddrMax { get; set; } = 0x37ff_ffff;
    public uint Magic { get; set; } = 0x5372_6448; // "HdrS"
    public ushort BootFlag { get; set; } = 0xaa55;
    public int KernelSize { get; set; } = 0x3000;

    /// <summary>Offset of the protected-mode kernel in the file.</summary>
    public int KernelOffset => ((SetupSectors == 0 ? 4 : SetupSectors) + 1) * 512;

    public byte[] Build()
    {
        var image = new byte[KernelOffset + KernelSize];
        var s = image.AsSpan();
        s[0x1f1] = SetupSectors;
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x1fe..], BootFlag);
        s[0x200] = 0xeb; // jmp short
        s[0x201] = JumpDisplacement;
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x202..], Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x206..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x22c..], InitrdAddrMax);
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x236..], XLoadFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x260..], InitSize);
        for (var i = 0; i < KernelSize; i++)
        {
            image[KernelOffset + i] = (byte)(i * 7 + 1);
        }

        return image;
    }
}

/// <summary>One ELF program header.</summary>
internal sealed record ElfSegment(uint Type, ulong PhysicalAddress, byte[] Data, ulong MemorySize);

/// <summary>A minimal ELF64 executable: header, program headers, then each segment's bytes.</summary>
internal sealed class ElfBuilder
{
    public const uint PtLoad = 1;
    public const uint PtNote = 4;

    public byte Class { get; set; } = 2;        // ELFCLASS64
    public byte DataEncoding { get; set; } = 1; // ELFDATA2LSB
    public ushort Machine { get; set; } = 62;   // EM_X86_64
    public ulong Entry { get; set; } = 0x100010;
    public ushort ProgramHeaderSize { get; set; } = 56;
    public ulong? ProgramHeaderOffsetOverride { get; set; }
    public List<ElfSegment> Segments { get; } = [];

    /// <summary>File offsets of each segment's data, filled by <see cref="Build"/>.</summary>
    public List<ulong> DataOffsets { get; } = [];

    public byte[] Build()
    {
        var headersEnd = 64 + Segments.Count * ProgramHeaderSize;
        var size = headersEnd + Segments.Sum(s => s.Data.Length);
        var image = new byte[size];
        var s = image.AsSpan();
        s[0] = 0x7f; s[1] = (byte)'E'; s[2] = (byte)'L'; s[3] = (byte)'F';
        s[4] = Class;
        s[5] = DataEncoding;
        s[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(s[24..], Entry);
        BinaryPrimitives.WriteUInt64LittleEndian(s[32..], ProgramHeaderOffsetOverride ?? 64);
        BinaryPrimitives.WriteUInt16LittleEndian(s[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(s[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(s[56..], (ushort)Segments.Count);

        DataOffsets.Clear();
        var dataOffset = (ulong)headersEnd;
        for (var i = 0; i < Segments.Count; i++)
        {
            var seg = Segments[i];
            var ph = s.Slice(64 + i * ProgramHeaderSize, Math.Min((int)ProgramHeaderSize, 56));
            BinaryPrimitives.WriteUInt32LittleEndian(ph, seg.Type);
            BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5); // R+X
            if (ph.Length >= 56)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], dataOffset);
                BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], 0xffff_ffff_8000_0000 + seg.PhysicalAddress);
                BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], seg.PhysicalAddress);
                BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)seg.Data.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], seg.MemorySize);
                BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
            }

            seg.Data.CopyTo(s[(int)dataOffset..]);
            DataOffsets.Add(dataOffset);
            dataOffset += (ulong)seg.Data.Length;
        }

        return image;
    }

    /// <summary>One ELF note: namesz, descsz, type, the name padded to 4, the descriptor padded to 4.</summary>
    public static byte[] Note(string name, uint type, byte[] desc)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        var nameLen = (nameBytes.Length + 3) & ~3;
        var descLen = (desc.Length + 3) & ~3;
        var note = new byte[12 + nameLen + descLen];
        BinaryPrimitives.WriteUInt32LittleEndian(note, (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), (uint)desc.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(8), type);
        nameBytes.CopyTo(note, 12);
        desc.CopyTo(note, 12 + nameLen);
        return note;
    }

    /// <summary>A raw note header with arbitrary (possibly hostile) sizes followed by <paramref name="tail"/>.</summary>
    public static byte[] RawNote(uint nameSize, uint descSize, uint type, byte[] tail)
    {
        var note = new byte[12 + tail.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(note, nameSize);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), descSize);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(8), type);
        tail.CopyTo(note, 12);
        return note;
    }

    public static byte[] Pattern(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 13 + seed)).ToArray();
}
