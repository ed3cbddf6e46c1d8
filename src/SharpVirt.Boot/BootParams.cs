using System.Buffers.Binary;
using SharpVirt.Memory;

namespace SharpVirt.Boot;

/// <summary>Builds struct boot_params (the "zero page") for the 64-bit Linux boot protocol.</summary>
public static class BootParams
{
    /// <summary>Size of the zero page.</summary>
    public const int Size = 4096;

    // Offsets in struct boot_params (arch/x86/include/uapi/asm/bootparam.h).
    internal const int AcpiRsdpAddr = 0x070;
    internal const int E820Entries = 0x1e8;
    internal const int BootFlag = 0x1fe;
    internal const int Header = 0x202;
    internal const int Version = 0x206;
    internal const int TypeOfLoader = 0x210;
    internal const int LoadFlags = 0x211;
    internal const int RamdiskImage = 0x218;
    internal const int RamdiskSize = 0x21c;
    internal const int HeapEndPtr = 0x224;
    internal const int CmdLinePtr = 0x228;
    internal const int KernelAlignment = 0x230;
    internal const int CmdlineSize = 0x238;
    internal const int E820Table = 0x2d0;
    internal const int ExtRamdiskImage = 0x0c0;
    internal const int ExtRamdiskSize = 0x0c4;
    internal const int ExtCmdLinePtr = 0x0c8;
    private const int MaxE820Entries = 128;

    private const byte LoaderUndefined = 0xff;
    private const byte CanUseHeap = 0x80;
    private const byte LoadedHigh = 0x01;

    /// <summary>Where the initrd sits, if any.</summary>
    public readonly record struct Initrd(ulong Address, uint Size);

    /// <summary>Composes the zero page for <paramref name="kernel"/>.</summary>
    public static byte[] Build(LoadedKernel kernel, ulong cmdlineAddress, int cmdlineLength,
        Initrd? initrd, IReadOnlyList<E820Entry> e820, ulong rsdpAddress)
    {
        var page = new byte[Size];
        var span = page.AsSpan();
        if (kernel.SetupHeader.Length > 0)
        {
            kernel.SetupHeader.CopyTo(span[BzImageLoader.SetupHeaderOffset..]);
        }
        else
        {
            // An ELF kernel carries no setup header: write the fields the kernel checks.
            BinaryPrimitives.WriteUInt16LittleEndian(span[BootFlag..], 0xaa55);
            BinaryPrimitives.WriteUInt32LittleEndian(span[Header..], 0x53726448);
            BinaryPrimitives.WriteUInt16LittleEndian(span[Version..], 0x020f);
            BinaryPrimitives.WriteUInt32LittleEndian(span[KernelAlignment..], 0x0100_0000);
        }

        span[TypeOfLoader] = LoaderUndefined;
        span[LoadFlags] |= CanUseHeap | LoadedHigh;
        BinaryPrimitives.WriteUInt16LittleEndian(span[HeapEndPtr..], 0xfe00);
        BinaryPrimitives.WriteUInt32LittleEndian(span[CmdLinePtr..], (uint)cmdlineAddress);
        span[ExtCmdLinePtr] = (byte)(cmdlineAddress >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(span[CmdlineSize..], (uint)cmdlineLength);
        if (initrd is { } rd)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[RamdiskImage..], (uint)rd.Address);
            BinaryPrimitives.WriteUInt32LittleEndian(span[ExtRamdiskImage..], (uint)(rd.Address >> 32));
            BinaryPrimitives.WriteUInt32LittleEndian(span[RamdiskSize..], rd.Size);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(span[AcpiRsdpAddr..], rsdpAddress);
        if (e820.Count > MaxE820Entries)
        {
            throw new BootException(BootErrorKind.Malformed, $"e820 map has {e820.Count} entries; boot_params holds {MaxE820Entries}");
        }

        span[E820Entries] = (byte)e820.Count;
        for (var i = 0; i < e820.Count; i++)
        {
            var entry = span.Slice(E820Table + i * 20, 20);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, e820[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], e820[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)e820[i].Type);
        }

        return page;
    }

    /// <summary>
    /// Chooses where the initrd goes: as high as allowed (below the initrd limit and the end of low RAM),
    /// page-aligned, and above the kernel.
    /// </summary>
    public static ulong PlaceInitrd(GuestMemory memory, LoadedKernel kernel, ulong size)
    {
        var lowEnd = memory.Regions[0].End;
        var limit = Math.Min(lowEnd, kernel.InitrdAddressMax + 1);
        if (size > limit)
        {
            throw new BootException(BootErrorKind.DoesNotFit, $"the initrd ({size >> 20} MiB) does not fit in guest memory");
        }

        var address = (limit - size) & ~0xfffUL;
        if (address < kernel.LoadEnd)
        {
            throw new BootException(BootErrorKind.DoesNotFit,
                $"the initrd ({size >> 20} MiB) does not fit between the kernel and the end of low memory; give the guest more memory");
        }

        return address;
    }
}
