using System.Text.Json.Serialization;
using SharpVirt.Contracts;
using SharpVirt.Devices.Legacy;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Transport.Mmio;

namespace SharpVirt.Vmm.Snapshot;

/// <summary>One range of guest RAM and where its bytes sit in the memory file.</summary>
/// <param name="Start">Guest physical address.</param>
/// <param name="Size">Bytes.</param>
/// <param name="FileOffset">Offset in the memory file (page-aligned).</param>
public sealed record MemoryRange(ulong Start, ulong Size, long FileOffset);

/// <summary>One virtio device: its transport's registers, where each queue stands, and its own state.</summary>
/// <param name="Name">Its name ("vda", "eth0", ...): the restore checks it builds the same devices in the same order.</param>
/// <param name="Kind">"block", "net", ...</param>
/// <param name="Transport">The virtio-mmio registers.</param>
/// <param name="Queues">Each queue's position (null for one not in use).</param>
/// <param name="State">The device's own state, if it has any (the balloon's config space).</param>
public sealed record DeviceSnapshot(string Name, string Kind, MmioTransportState Transport, IReadOnlyList<QueuePosition?> Queues, byte[]? State);

/// <summary>
/// Everything but guest RAM that a frozen VM is: its configuration, every vCPU's KVM state, the in-kernel interrupt
/// controllers, PIT and clock, and the legacy devices. Saved as the payload of the state file (see SnapshotFile).
/// </summary>
public sealed record VmSnapshot
{
    /// <summary>The configuration the VM was started with (the restore builds the same devices).</summary>
    public required VmConfig Config { get; init; }

    /// <summary>The guest RAM layout and its place in the memory file.</summary>
    public required IReadOnlyList<MemoryRange> Memory { get; init; }

    /// <summary>The vCPUs, by id.</summary>
    public required IReadOnlyList<VcpuSnapshot> Vcpus { get; init; }

    /// <summary>struct kvm_irqchip of the master PIC, the slave PIC and the IOAPIC.</summary>
    public required IReadOnlyList<byte[]> Irqchips { get; init; }

    /// <summary>struct kvm_pit_state2.</summary>
    public required byte[] Pit { get; init; }

    /// <summary>The guest's kvmclock in ns when it was frozen: the restored guest's time goes on from there.</summary>
    public required ulong ClockNs { get; init; }

    /// <summary>COM1.</summary>
    public required SerialState Serial { get; init; }

    /// <summary>The CMOS RAM.</summary>
    public required CmosState Cmos { get; init; }

    /// <summary>The keyboard controller.</summary>
    public required I8042State I8042 { get; init; }

    /// <summary>The virtio devices, in the order they were built.</summary>
    public required IReadOnlyList<DeviceSnapshot> Devices { get; init; }

    /// <summary>When the snapshot was taken (UTC), for people.</summary>
    public required DateTime TakenAt { get; init; }

    /// <summary>The VMM version that took it, for people.</summary>
    public required string VmmVersion { get; init; }
}

/// <summary>Source-generated JSON for the snapshot records (byte arrays as base64).</summary>
[JsonSourceGenerationOptions(UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, IncludeFields = false)]
[JsonSerializable(typeof(VmSnapshot))]
internal sealed partial class SnapshotJsonContext : JsonSerializerContext;
