using SharpVirt.Interop.Events;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio;

/// <summary>
/// A virtio device, independent of its transport (virtio-mmio now, virtio-pci later): the transport owns the
/// registers, feature negotiation and queue addresses, and hands the device what the driver set up.
/// </summary>
public interface IVirtioDevice
{
    /// <summary>The virtio device ID (1 net, 2 block, 3 console, 4 entropy, 5 balloon, 19 vsock).</summary>
    uint DeviceType { get; }

    /// <summary>Feature bits the device offers, VIRTIO_F_VERSION_1 (bit 32) included.</summary>
    ulong AvailableFeatures { get; }

    /// <summary>The largest size of each queue; the count is the number of queues.</summary>
    IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <summary>
    /// One eventfd per queue, signalled when the driver notifies that queue: by KVM directly where the VMM registered it
    /// as an ioeventfd on the transport's notify register, else by <see cref="QueueNotify"/>. The device's loop waits on them.
    /// </summary>
    IReadOnlyList<EventFd> QueueEvents { get; }

    /// <summary>Reads the device-specific configuration space. Bytes past its end read as zero.</summary>
    void ReadConfig(uint offset, Span<byte> data);

    /// <summary>Writes the device-specific configuration space. Writes the device does not allow are ignored.</summary>
    void WriteConfig(uint offset, ReadOnlySpan<byte> data);

    /// <summary>The driver set DRIVER_OK: start serving with what was negotiated.</summary>
    void Activate(VirtioActivation activation);

    /// <summary>The driver notified queue <paramref name="queueIndex"/> (new available buffers): signals its event, returns at once.</summary>
    void QueueNotify(int queueIndex);

    /// <summary>The driver reset the device: stop using guest memory and return to the initial state.</summary>
    void Reset();

    /// <summary>The VM pauses: stop touching guest memory, keeping all state, until <see cref="Resume"/>.</summary>
    void Pause();

    /// <summary>The VM resumes: serve again.</summary>
    void Resume();

    /// <summary>
    /// Where each queue of a paused device stands, for a snapshot (null for a queue not in use): chains the device had
    /// popped but not yet used count as not consumed, so the restored device pops them again.
    /// </summary>
    IReadOnlyList<QueuePosition?> SaveQueuePositions();

    /// <summary>The device's own state beyond its queues (for a snapshot), or null if it has none.</summary>
    byte[]? SaveDeviceState();

    /// <summary>Takes what <see cref="SaveDeviceState"/> gave, before the restored device is activated.</summary>
    void RestoreDeviceState(byte[] state);

    /// <summary>
    /// Lets another process take what this paused device holds on the host (a disk image's lock, a tap's queue), for
    /// the handover at the end of a live migration. Returns null, or why it cannot (then it holds everything still).
    /// </summary>
    string? ReleaseHost();

    /// <summary>Takes back what <see cref="ReleaseHost"/> let go (the migration failed); null, or why it could not.</summary>
    string? ReclaimHost();
}

/// <summary>A virtqueue's position: the next available entry the device consumes and the next used index it publishes.</summary>
public sealed record QueuePosition(ushort NextAvail, ushort NextUsed);

/// <summary>What a device gets when the driver sets DRIVER_OK.</summary>
/// <param name="Memory">Guest memory.</param>
/// <param name="AckedFeatures">The features both sides agreed on.</param>
/// <param name="Queues">Each queue as the driver configured it (unready queues have Ready = false).</param>
/// <param name="Interrupt">How to signal the driver.</param>
public sealed record VirtioActivation(GuestMemory Memory, ulong AckedFeatures, IReadOnlyList<QueueConfig> Queues, IVirtioInterrupt Interrupt)
{
    /// <summary>For a restore: where each queue continues (null: from the start).</summary>
    public IReadOnlyList<QueuePosition?>? Positions { get; init; }

    /// <summary>The queues the device built for this activation, by index (for <see cref="IVirtioDevice.SaveQueuePositions"/>).</summary>
    public Queue.Virtqueue?[] LiveQueues { get; } = new Queue.Virtqueue?[Queues.Count];
}

/// <summary>A virtqueue's layout as the driver wrote it to the transport: size and the three ring addresses.</summary>
/// <param name="Size">Number of descriptors (a power of 2, at most the device's maximum).</param>
/// <param name="DescriptorTable">Guest physical address of the descriptor table (16-byte aligned).</param>
/// <param name="AvailableRing">Guest physical address of the driver (available) ring (2-byte aligned).</param>
/// <param name="UsedRing">Guest physical address of the device (used) ring (4-byte aligned).</param>
/// <param name="Ready">Whether the driver enabled the queue.</param>
public sealed record QueueConfig(ushort Size, ulong DescriptorTable, ulong AvailableRing, ulong UsedRing, bool Ready);

/// <summary>How a device interrupts its driver; the transport implements it (interrupt status + an IRQ line or MSI-X).</summary>
public interface IVirtioInterrupt
{
    /// <summary>Queue <paramref name="queueIndex"/> has new used buffers.</summary>
    void SignalUsedBuffer(int queueIndex);

    /// <summary>The device configuration changed.</summary>
    void SignalConfigChange();
}

/// <summary>Feature bits common to all devices (virtio 1.2, section 6).</summary>
public static class VirtioFeatures
{
    /// <summary>VIRTIO_F_RING_INDIRECT_DESC.</summary>
    public const int RingIndirectDesc = 28;
    /// <summary>VIRTIO_F_RING_EVENT_IDX.</summary>
    public const int RingEventIdx = 29;
    /// <summary>VIRTIO_F_VERSION_1.</summary>
    public const int Version1 = 32;
    /// <summary>VIRTIO_F_ACCESS_PLATFORM.</summary>
    public const int AccessPlatform = 33;

    /// <summary>The mask of one feature bit.</summary>
    public static ulong Bit(int feature) => 1UL << feature;
}
