using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Interop.Events;

namespace SharpVirt.Devices.Virtio;

/// <summary>
/// What the virtio devices share: one eventfd per queue (signalled by KVM's ioeventfd or by the transport on a
/// notify exit), and the activate / reset / dispose life cycle. Each activation gets its own
/// <see cref="DeviceEventLoop"/> thread on which the device serves every queue and backend; a reset stops that thread
/// (and whatever the device's session owns) before it returns, so nothing touches guest memory afterwards.
/// </summary>
public abstract class VirtioDevice : IVirtioDevice, IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _threadName;
    private readonly ushort[] _queueMaxSizes;
    private readonly EventFd[] _queueEvents;
    private DeviceEventLoop? _loop;
    private IDisposable? _session;
    private VirtioActivation? _activation;
    private bool _disposed;

    /// <summary>Creates the device's queue events.</summary>
    /// <param name="threadName">Name of the device's loop thread ("virtio-blk", ...).</param>
    /// <param name="queueMaxSizes">The largest size of each queue; the count is the number of queues.</param>
    protected VirtioDevice(string threadName, params ushort[] queueMaxSizes)
    {
        _threadName = threadName;
        _queueMaxSizes = queueMaxSizes;
        _queueEvents = [.. queueMaxSizes.Select(_ => new EventFd())];
    }

    /// <inheritdoc />
    public abstract uint DeviceType { get; }

    /// <inheritdoc />
    public abstract ulong AvailableFeatures { get; }

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes => _queueMaxSizes;

    /// <inheritdoc />
    public IReadOnlyList<EventFd> QueueEvents => _queueEvents;

    /// <summary>Whether the device is activated and its loop thread is running.</summary>
    public bool IsActive
    {
        get
        {
            lock (_lock)
            {
                return _loop is not null;
            }
        }
    }

    /// <summary>The configuration space; the default has none (every byte reads as zero).</summary>
    public virtual void ReadConfig(uint offset, Span<byte> data) => data.Clear();

    /// <summary>Writes to the configuration space; the default ignores them.</summary>
    public virtual void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
    }

    /// <summary>Wakes the loop for queue <paramref name="queueIndex"/>; returns at once (this runs on a vCPU thread).</summary>
    public void QueueNotify(int queueIndex)
    {
        if ((uint)queueIndex >= (uint)_queueEvents.Length || Volatile.Read(ref _disposed))
        {
            return;
        }

        try
        {
            _queueEvents[queueIndex].Signal();
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: there is no one left to wake.
        }
    }

    /// <summary>Starts serving what the driver negotiated on a new loop thread (a second DRIVER_OK replaces the first).</summary>
    public void Activate(VirtioActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            StopSession();
            var loop = new DeviceEventLoop(_threadName, OnFault);
            IDisposable? session;
            try
            {
                session = StartSession(activation, loop);
            }
            catch
            {
                loop.Dispose();
                throw;
            }

            if (session is null)
            {
                loop.Dispose();
                return;
            }

            _loop = loop;
            _session = session;
            _activation = activation;
            // The first pass serves buffers the driver published before DRIVER_OK.
            foreach (var e in _queueEvents)
            {
                e.Signal();
            }

            loop.Start();
        }
    }

    /// <summary>
    /// Stops serving without forgetting anything: the loop parks between two events and the session's work in flight
    /// completes, so on return nothing of this device touches guest memory until <see cref="Resume"/>. Notifications
    /// and backend events meanwhile wait. The VM pauses its vCPUs first, so no driver acts on the device meanwhile.
    /// </summary>
    public void Pause()
    {
        lock (_lock)
        {
            _loop?.Pause();
            (_session as IDrainableSession)?.WaitIdle();
        }
    }

    /// <summary>Serves again after <see cref="Pause"/>, starting with whatever came meanwhile.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            _loop?.Resume();
        }
    }

    /// <summary>Stops serving (waiting until nothing touches guest memory) and returns to the initial state.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            StopSession();
        }
    }

    /// <summary>Stops serving for good and releases what the device holds.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            StopSession();
        }

        DisposeResources();
        foreach (var e in _queueEvents)
        {
            e.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Builds this activation's queues and registers its handlers on <paramref name="loop"/> (not started yet).
    /// Returns what to dispose at reset (after the loop stopped), or null when there is nothing to serve.
    /// </summary>
    protected abstract IDisposable? StartSession(VirtioActivation activation, DeviceEventLoop loop);

    /// <summary>A handler or timer threw: count it (the loop dropped that handler and serves the rest).</summary>
    protected abstract void OnFault(Exception exception);

    /// <summary>Releases the device's own resources (an image, a tap) once it is stopped for good.</summary>
    protected virtual void DisposeResources()
    {
    }

    /// <summary>Builds queue <paramref name="index"/> as the driver laid it out, with the negotiated ring features.</summary>
    protected static Virtqueue CreateQueue(VirtioActivation activation, int index)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var features = activation.AckedFeatures;
        var queue = new Virtqueue(
            activation.Memory,
            activation.Queues[index],
            eventIdx: (features & VirtioFeatures.Bit(VirtioFeatures.RingEventIdx)) != 0,
            indirect: (features & VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)) != 0);
        if (activation.Positions is { } positions && index < positions.Count && positions[index] is { } at)
        {
            queue.RestorePosition(at.NextAvail, at.NextUsed);
        }

        activation.LiveQueues[index] = queue;
        return queue;
    }

    /// <inheritdoc />
    public IReadOnlyList<QueuePosition?> SaveQueuePositions()
    {
        lock (_lock)
        {
            return QueuePositions();
        }
    }

    /// <summary>
    /// Swaps what the device serves from (a disk image) while the driver keeps its queues: the session finishes its
    /// work in flight and stops, <paramref name="swap"/> runs, and a new session continues each queue where the old
    /// one stopped; the driver then gets a configuration-change interrupt.
    /// </summary>
    protected void ReplaceBackend(Action swap)
    {
        ArgumentNullException.ThrowIfNull(swap);
        VirtioActivation? active;
        IReadOnlyList<QueuePosition?> positions;
        lock (_lock)
        {
            _loop?.Pause();
            positions = QueuePositions();
            active = _activation;
            StopSession();
            swap();
        }

        if (active is not null)
        {
            Activate(active with { Positions = positions });
            active.Interrupt.SignalConfigChange();
        }
    }

    private QueuePosition?[] QueuePositions() =>
        _session is null || _activation is null
            ? []
            : [.. _activation.LiveQueues.Select((q, i) => q is null ? null
                : new QueuePosition(unchecked((ushort)(q.NextAvailIndex - HeldChains(i))), q.NextUsedIndex))];

    /// <summary>How many chains of queue <paramref name="queueIndex"/> the paused session holds popped but not used.</summary>
    protected virtual int HeldChains(int queueIndex) => 0;

    /// <inheritdoc />
    public virtual byte[]? SaveDeviceState() => null;

    /// <inheritdoc />
    public virtual string? ReleaseHost() => null;

    /// <inheritdoc />
    public virtual string? ReclaimHost() => null;

    /// <inheritdoc />
    public virtual void RestoreDeviceState(byte[] state)
    {
    }

    /// <summary>Calls <paramref name="onNotify"/> on the loop thread each time the driver notifies queue <paramref name="index"/>.</summary>
    protected void WatchQueue(DeviceEventLoop loop, int index, Action onNotify)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var queueEvent = _queueEvents[index];
        loop.Add(queueEvent.Handle, Epoll.In, _ =>
        {
            queueEvent.TryConsume();
            onNotify();
        });
    }

    /// <summary>
    /// Builds queue <paramref name="index"/> as a <see cref="RequestQueue"/> drained on every notification; a drain that
    /// stopped with work left re-signals the queue's event, so the loop returns to it after its other events.
    /// </summary>
    protected RequestQueue WatchRequests(VirtioActivation activation, DeviceEventLoop loop, int index, IQueueServer server)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var queue = new RequestQueue(CreateQueue(activation, index), index, activation.Interrupt, server, _queueEvents[index].Signal);
        WatchQueue(loop, index, queue.Drain);
        return queue;
    }

    /// <summary>Copies the bytes of <paramref name="config"/> at <paramref name="offset"/> into <paramref name="data"/>; past its end reads zero.</summary>
    protected static void ReadConfigBytes(ReadOnlySpan<byte> config, uint offset, Span<byte> data)
    {
        data.Clear();
        if (offset >= config.Length)
        {
            return;
        }

        var available = config[(int)offset..];
        available[..Math.Min(available.Length, data.Length)].CopyTo(data);
    }

    private void StopSession()
    {
        var loop = _loop;
        var session = _session;
        _loop = null;
        _session = null;
        _activation = null;
        loop?.Stop();
        session?.Dispose();
        loop?.Dispose();
    }
}

/// <summary>A session with work that runs off the loop thread (block I/O threads), which a pause waits for.</summary>
public interface IDrainableSession
{
    /// <summary>Returns once no work of the session is running or queued.</summary>
    void WaitIdle();
}

/// <summary>A session with nothing of its own to release (its queues live on the loop thread only).</summary>
public sealed class EmptySession : IDisposable
{
    /// <summary>The one instance.</summary>
    public static EmptySession Instance { get; } = new();

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
