namespace SharpVirt.Devices.Virtio.Queue;

/// <summary>What a driver did wrong with a virtqueue.</summary>
public enum QueueErrorKind
{
    /// <summary>The queue configuration is unusable (size, alignment, rings outside memory, not ready).</summary>
    InvalidConfig,
    /// <summary>avail.idx moved more than the queue size ahead of what the device consumed (queue broken).</summary>
    AvailIndexJump,
    /// <summary>A head index in the available ring is not below the queue size.</summary>
    HeadOutOfRange,
    /// <summary>A next index is not below the queue (or indirect table) size.</summary>
    NextOutOfRange,
    /// <summary>The chain is longer than the queue or indirect table: a loop.</summary>
    ChainTooLong,
    /// <summary>A buffer's address plus length overflows 64 bits.</summary>
    BufferOverflow,
    /// <summary>A buffer lies outside guest memory.</summary>
    BufferOutOfRange,
    /// <summary>The chain's total length exceeds 4 GiB - 1.</summary>
    TotalLengthOverflow,
    /// <summary>An indirect descriptor was used without VIRTIO_F_RING_INDIRECT_DESC.</summary>
    IndirectNotNegotiated,
    /// <summary>An indirect descriptor also has NEXT set.</summary>
    IndirectWithNext,
    /// <summary>An indirect table inside an indirect table.</summary>
    NestedIndirect,
    /// <summary>An indirect table's length is zero, not a multiple of 16, or too large.</summary>
    IndirectTableLength,
    /// <summary>An indirect table lies outside guest memory.</summary>
    IndirectTableOutOfRange,
    /// <summary>A device-readable buffer follows a device-writable one.</summary>
    ReadableAfterWritable,
    /// <summary>A guest memory access failed unexpectedly (queue broken).</summary>
    MemoryAccess,
}
