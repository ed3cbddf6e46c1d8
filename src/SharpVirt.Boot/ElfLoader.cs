using System.Buffers.Binary;
using System.Text;
using SharpVirt.Memory;

namespace SharpVirt.Boot;

/// <summary>
/// Loads an x86_64 ELF kernel (vmlinux or a test guest): each PT_LOAD segment goes to its physical address,
/// and the entry is the ELF entry point (vmlinux links it to the physical startup_64). A PVH note
/// (XEN_ELFNOTE_PHYS32_ENTRY) is recorded when present.
/// </summary>
public static class ElfLoader
{
    private const ushort EmX8664 = 62;
    private const uint PtLoad = 1;
    private const uint PtNote = 4;
    private const uint XenElfNotePhys32Entry = 18;
    private const int MaxProgramHeaders = 256;

    /// <summary>Whether <paramref name="image"/> starts with the ELF magic.</summary>
    public static bool IsElf(ReadOnlySpan<byte> image) =>
        image.Length >= 4 && image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    /// <summary>Validates the headers and copies every loadable segment into guest memory.</summary>
    public static LoadedKernel Load(GuestMemory memory, ReadOnlySpan<byte> image, string name)
    {
        if (!IsElf(image) || image.Length < 64)
        {
            throw new BootException(BootErrorKind.NotAKernel, $"{name}: not an ELF file");
        }

        if (image[4] != 2 || image[5] != 1 || BinaryPrimitives.ReadUInt16LittleEndian(image[18..]) != EmX8664)
        {
            throw new BootException(BootErrorKind.NotAKernel, $"{name}: ELF file is not 64-bit little-endian x86_64");
        }

        var entry = BinaryPrimitives.ReadUInt64LittleEndian(image[24..]);
        var phOffset = BinaryPrimitives.ReadUInt64LittleEndian(image[32..]);
        var phEntrySize = BinaryPrimitives.ReadUInt16LittleEndian(image[54..]);
        var phCount = BinaryPrimitives.ReadUInt16LittleEndian(image[56..]);
        if (phEntrySize < 56 || phCount == 0 || phCount > MaxProgramHeaders ||
            phOffset > (ulong)image.Length || (ulong)phEntrySize * phCount > (ulong)image.Length - phOffset)
        {
            throw new BootException(BootErrorKind.Malformed, $"{name}: ELF program headers are missing or point outside the file");
        }

        ulong loadEnd = 0;
        ulong? pvhEntry = null;
        var loaded = 0;
        for (var i = 0; i < phCount; i++)
        {
            var ph = image.Slice((int)phOffset + i * phEntrySize, phEntrySize);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            var fileOffset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            var physAddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
            var fileSize = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            var memSize = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
            if (fileOffset > (ulong)image.Length || fileSize > (ulong)image.Length - fileOffset)
            {
                throw new BootException(BootErrorKind.Malformed, $"{name}: segment {i} points outside the file");
            }

            var data = image.Slice((int)fileOffset, (int)fileSize);
            if (type == PtNote)
            {
                pvhEntry ??= FindPvhEntry(data);
                continue;
            }

            if (type != PtLoad || memSize == 0)
            {
                continue;
            }

            if (memSize < fileSize || !memory.IsValidRange(physAddr, memSize))
            {
                throw new BootException(BootErrorKind.DoesNotFit,
                    $"{name}: segment {i} (0x{physAddr:x}+0x{memSize:x}) does not fit in guest memory");
            }

            memory.Write(physAddr, data);
            ZeroFill(memory, physAddr + fileSize, memSize - fileSize);
            loadEnd = Math.Max(loadEnd, physAddr + memSize);
            loaded++;
        }

        if (loaded == 0)
        {
            throw new BootException(BootErrorKind.Malformed, $"{name}: ELF file has no loadable segment");
        }

        return new LoadedKernel(KernelFormat.Elf, entry, loadEnd, [], 0x7fffffff, pvhEntry);
    }

    /// <summary>Zeroes a segment's bss part, which may exceed what one span can hold.</summary>
    private static void ZeroFill(GuestMemory memory, ulong address, ulong length)
    {
        const int Chunk = 1 << 30;
        while (length > 0)
        {
            var n = (int)Math.Min(length, Chunk);
            memory.Clear(address, n);
            address += (ulong)n;
            length -= (ulong)n;
        }
    }

    /// <summary>Walks ELF notes looking for Xen's PHYS32_ENTRY (the PVH entry point).</summary>
    internal static ulong? FindPvhEntry(ReadOnlySpan<byte> notes)
    {
        while (notes.Length >= 12)
        {
            var nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes);
            var descSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[4..]);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(notes[8..]);
            var nameLen = (int)Math.Min((nameSize + 3) & ~3u, int.MaxValue);
            var descLen = (int)Math.Min((descSize + 3) & ~3u, int.MaxValue);
            if (nameSize > int.MaxValue / 2 || descSize > int.MaxValue / 2 || 12L + nameLen + descLen > notes.Length)
            {
                return null;
            }

            var noteName = Encoding.ASCII.GetString(notes.Slice(12, (int)nameSize)).TrimEnd('\0');
            if (type == XenElfNotePhys32Entry && noteName == "Xen" && descSize >= 4)
            {
                var desc = notes.Slice(12 + nameLen, (int)descSize);
                return descSize >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(desc) : BinaryPrimitives.ReadUInt32LittleEndian(desc);
            }

            notes = notes[(12 + nameLen + descLen)..];
        }

        return null;
    }
}
