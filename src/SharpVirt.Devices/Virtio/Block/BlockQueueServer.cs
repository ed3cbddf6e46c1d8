using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// The loop-thread side of one block device activation: parses each request, applies the rate limit, answers what
/// needs no I/O at once, serves reads the page cache holds (RWF_NOWAIT: they cannot block the loop), and hands the
/// rest to the <see cref="BlockIoPool"/>, whose threads return each finished request to the used ring themselves
/// (<see cref="RequestQueue.CompleteAndSignal"/>): at most one thread hand-off per request.
/// </summary>
internal sealed class BlockQueueServer : IQueueServer, IDrainableSession, IDisposable
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
    private RequestQueue? _queue;
    private int _inFlight;
    private int _full; // 1 while the queue waits for a slot; Interlocked on both sides (a store then a load: fenced)

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
        _pool = new BlockIoPool(IoThreads, "virtio-blk", metrics.Errors.Increment);
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

        var queue = _queue!;
        if (_limiter is not null && !_limiter.TryConsume(request.Bytes))
        {
            _metrics.Throttles.Increment();
            _loop.Schedule(_limiter.TimeUntil(request.Bytes), queue.Resume);
            return ServeResult.Throttled;
        }

        if (request.Operation == BlockOperation.Read && _io.TryReadCached(_memory, chain, request, out var used))
        {
            return ServeResult.Done(used); // served from the page cache without blocking: no thread hand-off
        }

        // At most a queue's worth in flight: a guest that republishes heads still in flight cannot queue work without bound.
        if (Volatile.Read(ref _inFlight) >= queue.Queue.Size)
        {
            // Raise the flag, then look again: a completion that came in between would otherwise resume no one.
            Interlocked.Exchange(ref _full, 1);
            if (Volatile.Read(ref _inFlight) >= queue.Queue.Size)
            {
                return ServeResult.Throttled; // resumed by the completion that frees a slot
            }

            Interlocked.Exchange(ref _full, 0);
        }

        Interlocked.Increment(ref _inFlight);
        _pool.Submit(buffer =>
        {
            try
            {
                queue.CompleteAndSignal(chain.Head, _io.Execute(_memory, chain, request, buffer));
            }
            finally
            {
                if (Interlocked.Decrement(ref _inFlight) < queue.Queue.Size && Interlocked.Exchange(ref _full, 0) == 1)
                {
                    _loop.Post(queue.Resume);
                }
            }
        });
        return ServeResult.Pending;
    }

    /// <inheritdoc />
    public void OnRejected() => _metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnError() => _metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnBroken() => _metrics.AddBrokenQueue();

    /// <summary>Waits until every request handed to the I/O threads has completed (a pause: its loop is parked, so no new ones start).</summary>
    public void WaitIdle() => SpinWait.SpinUntil(() => Volatile.Read(ref _inFlight) == 0);

    /// <summary>Waits for the requests in flight (they still complete: the driver is resetting the rings anyway).</summary>
    public void Dispose() => _pool.Dispose();
}
