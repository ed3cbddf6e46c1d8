using SharpVirt.Devices.EventLoop;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>
/// The virtio console (virtio 1.2, section 5.3) with one port, the guest's <c>hvc0</c>: a receive queue for host
/// input and a transmit queue for guest output, on a stream backend (a Unix socket or a file). No multiport, no size.
/// </summary>
public sealed class VirtioConsole : VirtioDevice
{
    /// <summary>The virtio device ID of a console.</summary>
    public const uint ConsoleDeviceType = 3;

    /// <summary>Size of each queue.</summary>
    public const ushort QueueMaxSize = 256;

    private readonly IConsoleBackend _backend;

    /// <summary>Creates the console on <paramref name="backend"/> (owned: disposed with the device).</summary>
    public VirtioConsole(IConsoleBackend backend)
        : base("virtio-console", QueueMaxSize, QueueMaxSize)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
    }

    /// <summary>The device's counters.</summary>
    public ConsoleMetrics Metrics { get; } = new();

    /// <summary>The backend.</summary>
    public IConsoleBackend Backend => _backend;

    /// <inheritdoc />
    public override uint DeviceType => ConsoleDeviceType;

    /// <inheritdoc />
    public override ulong AvailableFeatures { get; } =
        VirtioFeatures.Bit(VirtioFeatures.Version1)
        | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
        | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx);

    /// <inheritdoc />
    protected override IDisposable? StartSession(VirtioActivation activation, DeviceEventLoop loop)
    {
        if (activation.Queues.Count < 2)
        {
            Metrics.AddBrokenQueue();
            return null;
        }

        var rx = new ConsoleRx(activation, CreateQueue(activation, 0), 0, _backend, Metrics);
        WatchQueue(loop, 0, rx.Process);
        var tx = new ConsoleTx(activation.Memory, _backend, Metrics);
        tx.Queue = WatchRequests(activation, loop, 1, tx);
        _backend.Start(loop, rx.Process, tx.OnWritable);
        return EmptySession.Instance;
    }

    /// <inheritdoc />
    protected override void OnFault(Exception exception) => Metrics.Errors.Increment();

    /// <summary>Closes the backend.</summary>
    protected override void DisposeResources() => _backend.Dispose();
}
