using System.Buffers.Binary;
using SharpVirt.Memory;

namespace SharpVirt.Boot;

/// <summary>
/// Loads a bzImage per the Linux x86 boot protocol (Documentation/arch/x86/boot.rst): the protected-mode part
/// goes to 1 MiB and the VMM enters it at its 64-bit entry (load address + 0x200), skipping the real-mode setup.
/// </summary>
public static class BzImageLoader
{
    /// <summary>Offset of the setup header inside the image and the zero page.</summary>
    public const int SetupHeaderOffset = 0x1f1;
    private const uint HdrSMagic = 0x53726448; // "HdrS"
    private const ushort BootFlag = 0xaa55;
    /// <summary>2.06 is the oldest protocol with cmdline_size; 64-bit entry needs XLF_KERNEL_64 (2.12+).</summary>
    public const ushort MinimumProtocol = 0x0206;
    private const ushort XlfKernel64 = 1;
    private const ulong Entry64Offset = 0x200;

    /// <summary>Whether <paramref name="image"/> starts like a bzImage.</summary>
    public static bool IsBzImage(ReadOnlySpan<byte> image) =>
        image.Length >= 0x206 && BinaryPrimitives.ReadUInt32LittleEndian(image[0x202..]) == HdrSMagic &&
        BinaryPrimitives.ReadUInt16LittleEndian(image[0x1fe..]) == BootFlag;

    /// <summary>Parses the header and copies the protected-mode kernel into guest memory.</summary>
    public static LoadedKernel Load(GuestMemory memory, ReadOnlySpan<byte> image, string name)
    {
        if (!IsBzImage(image))
        {
            throw new BootException(BootErrorKind.NotAKernel, $"{name}: no bzImage setup header (magic HdrS / 0xAA55 missing)");
        }

        // Every header field read below lies before 0x264; the protected-mode kernel starts after it.
        if (image.Length < 0x264)
        {
            throw new BootException(BootErrorKind.Malformed, $"{name}: the file ends inside the bzImage setup header");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(image[0x206..]);
        if (version < MinimumProtocol)
        {
            throw new BootException(BootErrorKind.UnsupportedProtocol,
                $"{name}: boot protocol {version >> 8}.{version & 0xff:d2} is older than the 2.06 SharpVirt needs");
        }

        var xloadflags = version >= 0x020c ? BinaryPrimitives.ReadUInt16LittleEndian(image[0x236..]) : (ushort)0;
        if ((xloadflags & XlfKernel64) == 0)
        {
            throw new BootException(BootErrorKind.UnsupportedProtocol, $"{name}: this kernel has no 64-bit entry point (XLF_KERNEL_64)");
        }

        int setupSectors = image[0x1f1] == 0 ? 4 : image[0x1f1];
        var kernelOffset = (setupSectors + 1) * 512;
        // The header runs to the end of the jump at 0x200: its second byte is the jump's displacement.
        var headerEnd = 0x202 + image[0x201];
        if (kernelOffset >= image.Length || headerEnd > kernelOffset)
        {
            throw new BootException(BootErrorKind.Malformed, $"{name}: setup_sects ({setupSectors}) points past the end of the file");
        }

        var kernel = image[kernelOffset..];
        var initSize = BinaryPrimitives.ReadUInt32LittleEndian(image[0x260..]);
        var loadAddress = X64Layout.HighMemoryStart;
        if (!memory.IsValidRange(loadAddress, Math.Max((ulong)kernel.Length, initSize)))
        {
            throw new BootException(BootErrorKind.DoesNotFit,
                $"{name}: the kernel needs {Math.Max((ulong)kernel.Length, initSize) >> 20} MiB from 1 MiB; guest memory is too small");
        }

        memory.Write(loadAddress, kernel);
        var initrdMax = BinaryPrimitives.ReadUInt32LittleEndian(image[0x22c..]);
        return new LoadedKernel(
            KernelFormat.BzImage,
            loadAddress + Entry64Offset,
            loadAddress + Math.Max((ulong)kernel.Length, initSize),
            image[SetupHeaderOffset..headerEnd].ToArray(),
            initrdMax == 0 ? 0x37ffffff : initrdMax,
            PvhEntry: null);
    }
}
