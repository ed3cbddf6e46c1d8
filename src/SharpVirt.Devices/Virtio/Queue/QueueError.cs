namespace SharpVirt.Devices.Virtio.Queue;

/// <summary>A driver error found by a virtqueue, with a message naming the offending values.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Message">Details: indices, addresses and lengths involved.</param>
public sealed record QueueError(QueueErrorKind Kind, string Message);
