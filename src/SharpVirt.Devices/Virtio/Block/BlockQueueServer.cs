using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>What the virtio-blk queue worker does with each chain: the image I/O of one request.</summary>
internal sealed class BlockQueueServer(BlockRequestHandler handler, GuestMemory memory, BlockMetrics metrics) : IQueueServer
{
    /// <inheritdoc />
    public uint Serve(DescriptorChain chain) => handler.Serve(memory, chain);

    /// <inheritdoc />
    public void OnRejected() => metrics.AddError();

    /// <inheritdoc />
    public void OnError() => metrics.AddError();

    /// <inheritdoc />
    public void OnBroken() => metrics.AddBrokenQueue();
}
