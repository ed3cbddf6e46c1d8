using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio;

/// <summary>
/// The activate / notify / reset / dispose life cycle of a single-queue device whose work runs on a
/// <see cref="QueueWorker"/>: one place for the locking and the stop-before-replace rules.
/// </summary>
internal sealed class QueueWorkerHost(string threadName)
{
    private readonly Lock _lock = new();
    private QueueWorker? _worker;
    private bool _disposed;

    /// <summary>Whether a worker is running.</summary>
    public bool IsActive
    {
        get
        {
            lock (_lock)
            {
                return _worker is not null;
            }
        }
    }

    /// <summary>
    /// Builds queue 0 from what the driver negotiated and starts a worker serving it through the server
    /// <paramref name="createServer"/> makes. Returns false (nothing started) when the transport gave no queue.
    /// </summary>
    public bool Activate(VirtioActivation activation, Func<GuestMemory, IQueueServer> createServer, object owner)
    {
        ArgumentNullException.ThrowIfNull(activation);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, owner);
            // A second DRIVER_OK without a reset replaces the first activation.
            StopWorker();
            if (activation.Queues.Count < 1)
            {
                return false;
            }

            var features = activation.AckedFeatures;
            var queue = new Virtqueue(
                activation.Memory,
                activation.Queues[0],
                eventIdx: (features & VirtioFeatures.Bit(VirtioFeatures.RingEventIdx)) != 0,
                indirect: (features & VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)) != 0);
            var worker = new QueueWorker(threadName, queue, activation.Interrupt, createServer(activation.Memory));
            worker.Start();
            _worker = worker;
            return true;
        }
    }

    /// <summary>Wakes the worker for queue 0; returns at once (this runs on a vCPU thread).</summary>
    public void Notify(int queueIndex)
    {
        if (queueIndex != 0)
        {
            return;
        }

        QueueWorker? worker;
        lock (_lock)
        {
            worker = _worker;
        }

        worker?.Notify();
    }

    /// <summary>Stops the worker (waiting until it no longer touches guest memory).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            StopWorker();
        }
    }

    /// <summary>Stops the worker for good; returns true the first time only.</summary>
    public bool Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            _disposed = true;
            StopWorker();
            return true;
        }
    }

    private void StopWorker()
    {
        var worker = _worker;
        _worker = null;
        worker?.Stop();
    }
}
