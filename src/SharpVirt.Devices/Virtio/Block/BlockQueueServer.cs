using System.Collections.Concurrent;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Interop.Events;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// The loop-thread side of one block device activation: parses each request, applies the rate limit, answers what
/// needs no I/O at once and hands the rest to the <see cref="BlockIoPool"/>, whose completions come back through an
/// eventfd and are returned to the used ring here (the queue is only ever touched by the loop thread).
/// </summary>
internal sealed class BlockQueueServer : IQueueServer, IDisposable
{
    /// <summary>I/O threads per activation: enough to overlap requests, few enough for a small host.</summary>
    internal const int IoThreads = 4;

    private readonly BlockIo _io;
    private readonly BlockImage _image;
    private readonly GuestMemory _memory;
    private readonly BlockMetrics _metrics;
    private readonly RateLimiter? _limiter;
    private readonly DeviceEventLoop _loop;
    private readonly bool _discard;
    private readonly BlockIoPool _pool;
    private readonly EventFd _completed = new();
    private readonly ConcurrentQueue<(ushort Head, uint Used)> _completions = new();
    private RequestQueue? _queue;

    internal BlockQueueServer(BlockIo io, BlockImage image, GuestMemory memory, BlockMetrics metrics, RateLimiter? limiter,
        DeviceEventLoop loop, bool discard)
    {
        _io = io;
        _image = image;
        _memory = memory;
        _metrics = metrics;
        _limiter = limiter;
        _loop = loop;
        _discard = discard;
        _pool = new BlockIoPool(IoThreads, "virtio-blk");
        loop.Add(_completed.Handle, Epoll.In, _ => ReturnCompleted());
    }

    /// <summary>The queue this server feeds (set once, right after it is built).</summary>
    internal RequestQueue Queue
    {
        set => _queue = value;
    }

    /// <inheritdoc />
    public ServeResult Serve(DescriptorChain chain)
    {
        var request = BlockRequest.Parse(_memory, chain, _image.CapacitySectors, _image.ReadOnly, _discard);
        if (request.Operation is BlockOperation.Drop or BlockOperation.Answer or BlockOperation.GetId)
        {
            // No I/O: answered here, without a trip through the pool.
            return ServeResult.Done(_io.Execute(_memory, chain, request, []));
        }

        if (_limiter is not null && !_limiter.TryConsume(request.Bytes))
        {
            _metrics.Throttles.Increment();
            var queue = _queue!;
            _loop.Schedule(_limiter.TimeUntil(request.Bytes), queue.Resume);
            return ServeResult.Throttled;
        }

        _pool.Submit(buffer =>
        {
            var used = _io.Execute(_memory, chain, request, buffer);
            _completions.Enqueue((chain.Head, used));
            _completed.Signal();
        });
        return ServeResult.Pending;
    }

    /// <inheritdoc />
    public void OnRejected() => _metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnError() => _metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnBroken() => _metrics.AddBrokenQueue();

    private void ReturnCompleted()
    {
        _completed.TryConsume();
        var queue = _queue!;
        while (_completions.TryDequeue(out var done))
        {
            queue.Complete(done.Head, done.Used);
        }

        queue.SignalIfNeeded();
    }

    /// <summary>Waits for the requests in flight (the loop is already stopped: their completions are dropped).</summary>
    public void Dispose()
    {
        _pool.Dispose();
        _completed.Dispose();
    }
}
