using System.Text.Json.Serialization;

namespace SharpVirt.Contracts;

/// <summary>A whole virtual machine: the JSON config file, and later the REST API's resources.</summary>
public sealed record VmConfig
{
    /// <summary>The boot source.</summary>
    [JsonPropertyName("boot-source")]
    public required BootSourceConfig BootSource { get; set; }

    /// <summary>vCPUs and memory.</summary>
    [JsonPropertyName("machine-config")]
    public MachineConfig Machine { get; set; } = new();

    /// <summary>virtio-blk disks, in the order the guest sees them (vda, vdb, ...).</summary>
    [JsonPropertyName("drives")]
    public IReadOnlyList<DriveConfig> Drives { get; set; } = [];

    /// <summary>virtio-net network cards on host tap devices, in the order the guest sees them (eth0, eth1, ...).</summary>
    [JsonPropertyName("network-interfaces")]
    public IReadOnlyList<NetworkInterfaceConfig> NetworkInterfaces { get; set; } = [];

    /// <summary>A virtio entropy device (the guest's /dev/hwrng), fed from the host's getrandom; null = none.</summary>
    [JsonPropertyName("entropy")]
    public EntropyConfig? Entropy { get; set; }

    /// <summary>A virtio memory balloon; null = none.</summary>
    [JsonPropertyName("balloon")]
    public BalloonConfig? Balloon { get; set; }

    /// <summary>A virtio socket device whose host side is a Unix socket; null = none.</summary>
    [JsonPropertyName("vsock")]
    public VsockConfig? Vsock { get; set; }

    /// <summary>A virtio console (the guest's hvc0) on a Unix socket or a file; null = none.</summary>
    [JsonPropertyName("console")]
    public ConsoleConfig? Console { get; set; }
}

/// <summary>Which kernel to boot, with what.</summary>
public sealed record BootSourceConfig
{
    /// <summary>Path of a bzImage or an uncompressed ELF vmlinux.</summary>
    [JsonPropertyName("kernel_image_path")]
    public required string KernelImagePath { get; set; }

    /// <summary>Path of an initramfs or initrd, if any.</summary>
    [JsonPropertyName("initrd_path")]
    public string? InitrdPath { get; set; }

    /// <summary>The kernel command line; null means the default.</summary>
    [JsonPropertyName("boot_args")]
    public string? BootArgs { get; set; }
}

/// <summary>What the VMM does when the guest reboots.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RebootAction>))]
public enum RebootAction
{
    /// <summary>Start the guest again from its kernel (QEMU's default).</summary>
    [JsonStringEnumMemberName("restart")]
    Restart,
    /// <summary>End the process with exit code 0 (QEMU's -no-reboot, Firecracker's behaviour).</summary>
    [JsonStringEnumMemberName("exit")]
    Exit,
}

/// <summary>The virtual hardware's size.</summary>
public sealed record MachineConfig
{
    /// <summary>Number of vCPUs.</summary>
    [JsonPropertyName("vcpu_count")]
    public int VcpuCount { get; set; } = 1;

    /// <summary>Guest memory in MiB.</summary>
    [JsonPropertyName("mem_size_mib")]
    public long MemSizeMib { get; set; } = 256;

    /// <summary>Name of the CPU template (a CPUID mask).</summary>
    [JsonPropertyName("cpu_template")]
    public string CpuTemplate { get; set; } = "compat";

    /// <summary>What a guest reboot does.</summary>
    [JsonPropertyName("on_reboot")]
    public RebootAction OnReboot { get; set; } = RebootAction.Restart;
}
