namespace SharpVirt.Devices.Virtio.Queue;

/// <summary>
/// One validated guest buffer of a descriptor chain: the range lies inside guest memory and does not overflow.
/// The values are copies taken at pop time; later guest writes to the descriptor table do not change them.
/// </summary>
/// <param name="Address">Guest physical address of the buffer.</param>
/// <param name="Length">Length of the buffer in bytes (never zero: empty buffers are dropped at pop time).</param>
/// <param name="DeviceWritable">Whether the device writes this buffer (VIRTQ_DESC_F_WRITE) rather than reads it.</param>
public readonly record struct Descriptor(ulong Address, uint Length, bool DeviceWritable);
