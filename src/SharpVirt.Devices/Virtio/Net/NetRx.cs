using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Interop.Events;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Net;

/// <summary>
/// The receive side, on the device's loop thread: frames are read from the backend into a bounce buffer and copied
/// into the guest's receive chains, across several chains with VIRTIO_NET_F_MRG_RXBUF (num_buffers set, all used
/// elements published at once). While the guest has no room (or the rate limit says wait) the frame stays in the
/// buffer and the backend is not read, so the host side queues or drops frames, never the VMM's memory.
/// </summary>
internal sealed class NetRx
{
    private const int NumBuffersOffset = 10;

    private readonly Virtqueue _queue;
    private readonly int _index;
    private readonly IVirtioInterrupt _interrupt;
    private readonly GuestMemory _memory;
    private readonly INetBackend _backend;
    private readonly DeviceEventLoop _loop;
    private readonly NetMetrics _metrics;
    private readonly RateLimiter? _limiter;
    private readonly bool _mergeable;
    private readonly byte[] _frame = new byte[VirtioNet.MaxFrameBytes];
    private readonly List<DescriptorChain> _chains = [];

    /// <summary>Chains popped for the pending frame and not yet used (the device is paused when this is read).</summary>
    public int HeldChains => _chains.Count;
    private long _room;
    private int _pending = -1;
    private bool _watchingBackend;
    private bool _throttled;
    private bool _broken;
    private bool _added;

    internal NetRx(VirtioActivation activation, Virtqueue queue, int index, INetBackend backend, DeviceEventLoop loop,
        NetMetrics metrics, RateLimiter? limiter, bool mergeable)
    {
        _queue = queue;
        _index = index;
        _interrupt = activation.Interrupt;
        _memory = activation.Memory;
        _backend = backend;
        _loop = loop;
        _metrics = metrics;
        _limiter = limiter;
        _mergeable = mergeable;
        loop.Add(backend.Handle, Epoll.In, _ => Process());
        _watchingBackend = true;
    }

    /// <summary>The guest added receive buffers, or the backend has frames: deliver what fits.</summary>
    internal void Process()
    {
        if (_broken || _throttled)
        {
            return;
        }

        // One ring's worth of frames per call: the tap stays readable (epoll is level-triggered), so the loop comes back
        // after the device's other events instead of serving a flood forever.
        var budget = (int)_queue.Size;
        for (; budget > 0; budget--)
        {
            if (_pending < 0)
            {
                _pending = _backend.Read(_frame);
                if (_pending < 0)
                {
                    break;
                }
            }

            if (_pending < VirtioNet.HeaderSize)
            {
                _metrics.RxDropped.Increment();
                _pending = -1;
                continue;
            }

            var payload = _pending - VirtioNet.HeaderSize;
            if (_limiter is not null && _limiter.TimeUntil(payload) > TimeSpan.Zero)
            {
                _metrics.RxThrottles.Increment();
                _throttled = true;
                _loop.Schedule(_limiter.TimeUntil(payload), () =>
                {
                    _throttled = false;
                    Process();
                });
                break;
            }

            if (TryDeliver())
            {
                // Tokens are taken only for a frame that went to the guest (a held one would be charged again).
                _limiter?.TryConsume(payload);
            }
            else
            {
                // No room: ask for a notification, and look once more in case buffers arrived meanwhile.
                if (_broken || !_queue.EnableNotification())
                {
                    break;
                }
            }
        }

        if (_added && _queue.NeedsNotification())
        {
            _interrupt.SignalUsedBuffer(_index);
        }

        _added = false;
        WatchBackend(_pending < 0 && !_throttled && !_broken);
        if (budget == 0 && !_throttled && !_broken)
        {
            // Stopped with work possibly left (a frame held, or buffers the driver added without a kick): come back.
            _loop.Post(Process);
        }
    }

    /// <summary>
    /// Copies the pending frame into receive chains; false when they cannot hold it yet. Chains popped for a frame are
    /// held (never put back: a malformed one handed back in between would make the ring position ambiguous) and used
    /// once enough room has arrived.
    /// </summary>
    private bool TryDeliver()
    {
        while (_room < _pending && (_mergeable || _chains.Count == 0))
        {
            if (!TryPopChain(out var chain))
            {
                return false;
            }

            _chains.Add(chain);
            _room += chain.WritableLength;
        }

        if (_room < _pending)
        {
            // Without mergeable buffers a frame must fit one chain: this frame is dropped, the chain kept for the next.
            _metrics.RxDropped.Increment();
            _pending = -1;
            return true;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(_frame.AsSpan(NumBuffersOffset), (ushort)_chains.Count);
        var offset = 0;
        foreach (var chain in _chains)
        {
            // Chains are popped only while the room is short of the frame, so each of them gets some of it.
            var count = (int)Math.Min(chain.WritableLength, (uint)(_pending - offset));
            chain.CopyTo(_memory, _frame.AsSpan(offset, count), 0);
            _queue.StageUsed(chain.Head, (uint)count);
            offset += count;
        }

        // Counted before it is published: whoever sees the frame in the used ring sees it counted too.
        _metrics.AddRx(_pending - VirtioNet.HeaderSize);
        _queue.PublishUsed();
        _added = true;
        _pending = -1;
        _chains.Clear();
        _room = 0;
        return true;
    }

    /// <summary>Pops the next usable chain, handing malformed ones back empty; false when none is available.</summary>
    private bool TryPopChain([NotNullWhen(true)] out DescriptorChain? chain)
    {
        while (true)
        {
            var popped = _queue.TryPopValid(out chain, out var rejected, out var lost);
            _metrics.Errors.Add(rejected + lost);
            _added |= rejected > 0;
            if (!popped)
            {
                break;
            }

            if (chain!.WritableLength >= VirtioNet.HeaderSize || _chains.Count > 0)
            {
                return true;
            }

            // A first buffer that cannot even hold the header: returned empty (Linux drops and reposts it).
            _metrics.Errors.Increment();
            _queue.AddUsed(chain.Head, 0);
            _added = true;
        }

        if (_queue.IsBroken && !_broken)
        {
            _broken = true;
            _metrics.AddBrokenQueue();
        }

        return false;
    }

    private void WatchBackend(bool watch)
    {
        if (watch != _watchingBackend)
        {
            _watchingBackend = watch;
            _loop.Modify(_backend.Handle, watch ? Epoll.In : 0);
        }
    }
}
