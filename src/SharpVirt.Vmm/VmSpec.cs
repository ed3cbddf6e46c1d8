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

    /// <summary>The network cards, in guest order.</summary>
    public IReadOnlyList<NetSpec> Nets { get; init; } = [];

    /// <summary>Whether the guest gets a virtio entropy device.</summary>
    public bool Entropy { get; init; }

    /// <summary>The memory balloon, if any.</summary>
    public BalloonSpec? Balloon { get; init; }

    /// <summary>The virtio socket device, if any.</summary>
    public VsockSpec? Vsock { get; init; }

    /// <summary>The virtio console, if any.</summary>
    public ConsoleSpec? Console { get; init; }

    /// <summary>The CPUID template.</summary>
    public required CpuTemplate CpuTemplate { get; init; }
}

