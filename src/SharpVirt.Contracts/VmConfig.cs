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

    /// <summary>A virtio entropy device (the guest's /dev/hwrng), fed from the host's getrandom; null = none.</summary>
    [JsonPropertyName("entropy")]
    public EntropyConfig? Entropy { get; set; }
}

/// <summary>A disk: a raw image file on the host.</summary>
public sealed record DriveConfig
{
    /// <summary>A name for the drive (API and messages); defaults to vda, vdb, ... by position.</summary>
    [JsonPropertyName("drive_id")]
    public string? DriveId { get; set; }

    /// <summary>The raw image file.</summary>
    [JsonPropertyName("path_on_host")]
    public required string PathOnHost { get; set; }

    /// <summary>Whether the guest may only read it.</summary>
    [JsonPropertyName("is_read_only")]
    public bool IsReadOnly { get; set; }

    /// <summary>The serial number the guest reads (VIRTIO_BLK_T_GET_ID, /sys/block/vdX/serial), up to 20 bytes.</summary>
    [JsonPropertyName("serial")]
    public string? Serial { get; set; }
}

/// <summary>The virtio entropy device. It has no settings yet (a rate limit will come).</summary>
public sealed record EntropyConfig;

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
