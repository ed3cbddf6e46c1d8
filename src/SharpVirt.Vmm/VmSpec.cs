using SharpVirt.Vmm.Cpu;

namespace SharpVirt.Vmm;

/// <summary>A validated VM description: what <see cref="VmBuilder"/> builds. Made from a VmConfig by <see cref="VmSpecFactory"/>.</summary>
public sealed record VmSpec
{
    /// <summary>The kernel file's bytes and name.</summary>
    public required byte[] Kernel { get; init; }

    /// <summary>The kernel file name, for messages.</summary>
    public required string KernelName { get; init; }

    /// <summary>The initrd's bytes, if any.</summary>
    public byte[]? Initrd { get; init; }

    /// <summary>The kernel command line.</summary>
    public required string Cmdline { get; init; }

    /// <summary>Number of vCPUs.</summary>
    public required int VcpuCount { get; init; }

    /// <summary>Guest RAM in bytes.</summary>
    public required ulong MemoryBytes { get; init; }

    /// <summary>The disks, in guest order.</summary>
    public IReadOnlyList<DriveSpec> Drives { get; init; } = [];

    /// <summary>Whether the guest gets a virtio entropy device.</summary>
    public bool Entropy { get; init; }

    /// <summary>The CPUID template.</summary>
    public required CpuTemplate CpuTemplate { get; init; }
}

/// <summary>A validated disk.</summary>
/// <param name="Id">Its name.</param>
/// <param name="Path">The raw image file (exists, is a regular file).</param>
/// <param name="ReadOnly">Whether the guest may only read it.</param>
/// <param name="Serial">The serial the guest reads, if any.</param>
public sealed record DriveSpec(string Id, string Path, bool ReadOnly, string? Serial);
