using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Virtio;

/// <summary>What a device does with the chains its <see cref="QueueWorker"/> pops.</summary>
internal interface IQueueServer
{
    /// <summary>Completes one valid chain's work and returns the used length (bytes written to the guest).</summary>
    uint Serve(DescriptorChain chain);

    /// <summary>A malformed chain was consumed and handed back empty.</summary>
    void OnRejected();

    /// <summary>An entry was lost (head out of range) or the worker caught an unexpected failure.</summary>
    void OnError();

    /// <summary>The queue is broken: the worker stops touching it until the driver resets the device.</summary>
    void OnBroken();
}

/// <summary>
/// The thread that serves one activation of a single-queue device: it owns the queue, sleeps until notified, then
/// drains every available chain through an <see cref="IQueueServer"/>. <see cref="Notify"/> never blocks on device
/// work, so a vCPU thread can call it; <see cref="Stop"/> waits until the thread no longer touches guest memory
/// (the request in progress, if any, completes first).
/// </summary>
internal sealed class QueueWorker
{
    private readonly Virtqueue _queue;
    private readonly IVirtioInterrupt _interrupt;
    private readonly IQueueServer _server;
    private readonly object _gate = new(); // A Monitor, not a Lock: the worker waits on it.
    private readonly Thread _thread;
    private bool _pending;
    private bool _stopping;
    private bool _faulted;

    internal QueueWorker(string threadName, Virtqueue queue, IVirtioInterrupt interrupt, IQueueServer server)
    {
        _queue = queue;
        _interrupt = interrupt;
        _server = server;
        _thread = new Thread(Run) { Name = threadName, IsBackground = true };
    }

    /// <summary>Starts the thread; it drains once at start in case the driver published buffers before DRIVER_OK.</summary>
    internal void Start()
    {
        _pending = true;
        _thread.Start();
    }

    /// <summary>Wakes the thread (coalesced: many notifies before it runs give one drain). Returns at once.</summary>
    internal void Notify()
    {
        lock (_gate)
        {
            _pending = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Asks the thread to exit and waits for it; after this the worker no longer touches guest memory.</summary>
    internal void Stop()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        if (Thread.CurrentThread != _thread && _thread.IsAlive)
        {
            _thread.Join();
        }
    }

    private bool Stopping
    {
        get
        {
            lock (_gate)
            {
                return _stopping;
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            lock (_gate)
            {
                while (!_pending && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_stopping)
                {
                    return;
                }

                _pending = false;
            }

            if (!_faulted)
            {
                Drain();
            }
        }
    }

    private void Drain()
    {
        var added = false;
        try
        {
            _queue.DisableNotification();
            do
            {
                while (!Stopping && ServeOne(ref added))
                {
                }
            }
            while (!Stopping && !_faulted && _queue.EnableNotification());

            if (added && !_faulted && _queue.NeedsNotification())
            {
                _interrupt.SignalUsedBuffer(0);
            }
        }
#pragma warning disable CA1031 // The worker thread must survive anything: an escaped exception would end the VMM process.
        catch (Exception)
#pragma warning restore CA1031
        {
            // A bug or an unexpected host failure: stop touching the queue until the driver resets the device.
            _faulted = true;
            _server.OnError();
        }
    }

    /// <summary>Pops and completes one chain. Returns false when there is nothing more to do.</summary>
    private bool ServeOne(ref bool added)
    {
        if (_queue.IsBroken)
        {
            MarkBroken();
            return false;
        }

        var errorsBefore = _queue.ErrorCount;
        if (!_queue.TryPop(out var chain, out var rejectedHead))
        {
            if (rejectedHead is { } head)
            {
                // A malformed chain is consumed: hand it back empty so the driver does not wait for it.
                _queue.AddUsed(head, 0);
                _server.OnRejected();
                added = true;
                return true;
            }

            if (_queue.IsBroken)
            {
                MarkBroken();
                return false;
            }

            if (_queue.ErrorCount != errorsBefore)
            {
                // A head out of range: the entry is consumed but there is no id to return.
                _server.OnError();
                return true;
            }

            return false;
        }

        _queue.AddUsed(chain.Head, _server.Serve(chain));
        added = true;
        return true;
    }

    private void MarkBroken()
    {
        _faulted = true;
        _server.OnBroken();
    }
}
