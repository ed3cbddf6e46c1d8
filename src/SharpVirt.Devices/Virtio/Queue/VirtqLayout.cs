namespace SharpVirt.Devices.Virtio.Queue;

/// <summary>The split virtqueue's wire constants (virtio 1.2, section 2.7).</summary>
public static class VirtqLayout
{
    /// <summary>The largest queue size the spec allows.</summary>
    public const int MaxSize = 32768;

    /// <summary>Bytes per descriptor: u64 addr, u32 len, u16 flags, u16 next.</summary>
    public const int DescriptorSize = 16;

    /// <summary>Bytes per used ring element: u32 id, u32 len.</summary>
    public const int UsedElementSize = 8;

    /// <summary>VIRTQ_DESC_F_NEXT: the buffer continues via the next field.</summary>
    public const ushort DescNext = 1;

    /// <summary>VIRTQ_DESC_F_WRITE: the buffer is device write-only.</summary>
    public const ushort DescWrite = 2;

    /// <summary>VIRTQ_DESC_F_INDIRECT: the buffer holds a table of descriptors.</summary>
    public const ushort DescIndirect = 4;

    /// <summary>VIRTQ_AVAIL_F_NO_INTERRUPT: the driver does not want used-buffer interrupts (without EVENT_IDX).</summary>
    public const ushort AvailNoInterrupt = 1;

    /// <summary>VIRTQ_USED_F_NO_NOTIFY: the device does not want available-buffer notifications (without EVENT_IDX).</summary>
    public const ushort UsedNoNotify = 1;

    /// <summary>Bytes of the descriptor table for <paramref name="size"/> entries.</summary>
    public static ulong DescriptorTableBytes(int size) => (ulong)size * DescriptorSize;

    /// <summary>Bytes of the available ring, used_event included: flags, idx, ring[size], used_event.</summary>
    public static ulong AvailableRingBytes(int size) => 6 + (2 * (ulong)size);

    /// <summary>Bytes of the used ring, avail_event included: flags, idx, ring[size], avail_event.</summary>
    public static ulong UsedRingBytes(int size) => 6 + ((ulong)size * UsedElementSize);
}
