namespace SharpVirt.Boot;

/// <summary>The format of a kernel file, found from its bytes.</summary>
public enum KernelFormat
{
    /// <summary>A compressed bzImage with a Linux x86 boot protocol setup header.</summary>
    BzImage,
    /// <summary>An uncompressed x86_64 ELF (vmlinux, or a test guest).</summary>
    Elf,
}

/// <summary>A kernel placed in guest memory, ready for boot_params and the 64-bit entry.</summary>
/// <param name="Format">What was loaded.</param>
/// <param name="EntryAddress">Guest physical address of the 64-bit entry point.</param>
/// <param name="LoadEnd">One past the highest guest byte the kernel occupies (or reserves while starting).</param>
/// <param name="SetupHeader">For a bzImage, the setup header bytes (0x1f1..) to copy into boot_params; empty for ELF.</param>
/// <param name="InitrdAddressMax">Highest address the initrd may end at.</param>
/// <param name="PvhEntry">The 32-bit PVH entry from the ELF note, if the kernel has one.</param>
public sealed record LoadedKernel(
    KernelFormat Format,
    ulong EntryAddress,
    ulong LoadEnd,
    byte[] SetupHeader,
    ulong InitrdAddressMax,
    ulong? PvhEntry);
