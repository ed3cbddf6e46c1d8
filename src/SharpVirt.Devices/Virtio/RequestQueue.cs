using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Virtio;

/// <summary>
/// One virtqueue whose chains are requests the device answers (entropy, disk, transmit, balloon queues), driven by
/// the device's loop thread: <see cref="Drain"/> pops every available chain through an <see cref="IQueueServer"/>,
/// re-enables notifications and re-checks (so a buffer published meanwhile is never missed), and signals the driver
/// once per batch if it wants it. Malformed chains are handed back empty and counted; a broken queue, or a server
/// failure, stops the queue until the driver resets the device. The loop thread owns the queue; only
/// <see cref="CompleteAndSignal"/> may be called from other threads (a device's I/O threads): the used ring is behind a
/// lock, which the loop thread takes too whenever it adds used entries.
/// </summary>
public sealed class RequestQueue
{
    private readonly IVirtioInterrupt _interrupt;
    private readonly IQueueServer _server;
    private readonly Action? _rearm;
    private readonly Lock _used = new();
    private volatile bool _faulted;
    private bool _throttled;
    private bool _addedSinceSignal;

    /// <summary>Serves <paramref name="queue"/>, queue number <paramref name="index"/> of its device.</summary>
    /// <param name="queue">The virtqueue.</param>
    /// <param name="index">Its number in the device.</param>
    /// <param name="interrupt">How to signal the driver.</param>
    /// <param name="server">What to do with each chain.</param>
    /// <param name="rearm">Called when a drain stopped with work left, to come back to it after the loop's other events.</param>
    public RequestQueue(Virtqueue queue, int index, IVirtioInterrupt interrupt, IQueueServer server, Action? rearm = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        Queue = queue;
        Index = index;
        _interrupt = interrupt;
        _server = server;
        _rearm = rearm;
    }

    /// <summary>The virtqueue.</summary>
    public Virtqueue Queue { get; }

    /// <summary>The queue's index in its device.</summary>
    public int Index { get; }

    /// <summary>Whether the queue stopped for good (broken by the driver, or a server failure).</summary>
    public bool Faulted => _faulted;

    /// <summary>Whether the server asked to pause (a rate limit); <see cref="Resume"/> continues.</summary>
    public bool Throttled => _throttled;

    /// <summary>
    /// Serves what is available, then signals the driver if it asked for it. After one ring's worth of chains with more
    /// waiting (a driver that keeps the queue full) it stops and re-arms, so the loop comes back after its other events
    /// and one busy queue cannot starve the rest of its device.
    /// </summary>
    public void Drain()
    {
        if (_faulted || _throttled)
        {
            return;
        }

        var budget = (int)Queue.Size;
        var more = false;
        try
        {
            Queue.DisableNotification();
            do
            {
                while (ServeOne())
                {
                    if (--budget == 0)
                    {
                        more = true;
                        break;
                    }
                }
            }
            while (!more && !_faulted && !_throttled && Queue.EnableNotification());
        }
#pragma warning disable CA1031 // A bug or an unexpected host failure must not end the VMM: the queue stops instead.
        catch (Exception)
#pragma warning restore CA1031
        {
            _faulted = true;
            _server.OnError();
        }

        SignalIfNeeded();
        if (more && !_faulted)
        {
            _rearm?.Invoke();
        }
    }

    /// <summary>
    /// Hands back a chain the server kept (<see cref="ServeKind.Pending"/>) and interrupts the driver if it wants to know;
    /// callable from any thread, so an I/O thread completes its request without a trip through the loop.
    /// </summary>
    public void CompleteAndSignal(ushort head, uint usedLength)
    {
        lock (_used)
        {
            if (_faulted || head >= Queue.Size)
            {
                return;
            }

            Queue.AddUsed(head, usedLength);
            if (Queue.NeedsNotification())
            {
                _interrupt.SignalUsedBuffer(Index);
            }
        }
    }

    /// <summary>Ends a throttle pause and serves what waited.</summary>
    public void Resume()
    {
        _throttled = false;
        Drain();
    }

    /// <summary>Interrupts the driver if entries were added since the last signal and it wants to know.</summary>
    public void SignalIfNeeded()
    {
        lock (_used)
        {
            if (_addedSinceSignal && !_faulted)
            {
                _addedSinceSignal = false;
                if (Queue.NeedsNotification())
                {
                    _interrupt.SignalUsedBuffer(Index);
                }
            }
        }
    }

    /// <summary>Pops and serves one chain; false when there is nothing more to do now.</summary>
    private bool ServeOne()
    {
        bool popped;
        DescriptorChain? chain;
        int rejected, lost;
        lock (_used)
        {
            // Popping may hand malformed chains back: that adds used entries too.
            popped = Queue.TryPopValid(out chain, out rejected, out lost);
        }

        for (var i = 0; i < rejected; i++)
        {
            _server.OnRejected();
        }

        for (var i = 0; i < lost; i++)
        {
            _server.OnError();
        }

        if (rejected > 0)
        {
            lock (_used)
            {
                _addedSinceSignal = true;
            }
        }

        if (!popped)
        {
            if (Queue.IsBroken)
            {
                MarkBroken();
            }

            return false;
        }

        var result = _server.Serve(chain!);
        switch (result.Kind)
        {
            case ServeKind.Completed:
                lock (_used)
                {
                    Queue.AddUsed(chain!.Head, result.UsedLength);
                    _addedSinceSignal = true;
                }

                return true;
            case ServeKind.Pending:
                return true;
            default:
                Queue.UndoPop();
                _throttled = true;
                return false;
        }
    }

    private void MarkBroken()
    {
        _faulted = true;
        _server.OnBroken();
    }
}
