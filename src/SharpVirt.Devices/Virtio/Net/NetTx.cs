using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Net;

/// <summary>
/// The transmit queue's server: each chain is a virtio-net header and a frame (device-readable; writable parts are
/// ignored), copied once into a bounce buffer and written to the backend whole. Frames shorter than a header or
/// longer than <see cref="VirtioNet.MaxFrameBytes"/> are counted and dropped; a rate limit holds the queue back.
/// </summary>
internal sealed class NetTx(GuestMemory memory, INetBackend backend, NetMetrics metrics, RateLimiter? limiter, DeviceEventLoop loop)
    : IQueueServer
{
    private readonly byte[] _frame = new byte[VirtioNet.MaxFrameBytes];

    /// <summary>The queue this server feeds (set once, right after it is built).</summary>
    internal RequestQueue? Queue { get; set; }

    /// <inheritdoc />
    public ServeResult Serve(DescriptorChain chain)
    {
        var length = chain.ReadableLength;
        if (length < VirtioNet.HeaderSize || length > VirtioNet.MaxFrameBytes)
        {
            metrics.Errors.Increment();
            return ServeResult.Done(0);
        }

        var payload = length - VirtioNet.HeaderSize;
        if (limiter is not null && !limiter.TryConsume(payload))
        {
            metrics.TxThrottles.Increment();
            loop.Schedule(limiter.TimeUntil(payload), Queue!.Resume);
            return ServeResult.Throttled;
        }

        var frame = _frame.AsSpan(0, (int)length);
        chain.CopyFrom(memory, frame, 0);
        if (backend.Write(frame))
        {
            metrics.AddTx(payload);
        }
        else
        {
            metrics.TxDropped.Increment();
        }

        return ServeResult.Done(0);
    }

    /// <inheritdoc />
    public void OnRejected() => metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnError() => metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnBroken() => metrics.AddBrokenQueue();
}
