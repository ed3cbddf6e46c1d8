using System.Security.Cryptography;
using SharpVirt.Devices.EventLoop;

namespace SharpVirt.Devices.Virtio.Rng;

/// <summary>
/// The virtio entropy device (virtio 1.2, section 5.4): one request queue whose device-writable buffers are
/// filled with bytes from the host's entropy source. It has no configuration space. Requests are served on the
/// device's "virtio-rng" loop thread; a notification only wakes it.
/// </summary>
public sealed class VirtioRng : VirtioDevice
{
    /// <summary>The virtio device ID of an entropy source.</summary>
    public const uint EntropyDeviceType = 4;

    /// <summary>The largest request queue the device accepts.</summary>
    public const ushort QueueMaxSize = 256;

    /// <summary>The most bytes a single request is given; a larger buffer is filled only this far.</summary>
    public const int MaxRequestBytes = RngQueueServer.MaxRequestBytes;

    private readonly Action<Span<byte>> _fill;

    /// <summary>Creates the device.</summary>
    /// <param name="fill">
    /// The entropy source: fills the span it is given. Defaults to <see cref="RandomNumberGenerator.Fill"/> (the host's
    /// getrandom). It runs on the device thread and may block.
    /// </param>
    public VirtioRng(Action<Span<byte>>? fill = null)
        : base("virtio-rng", QueueMaxSize)
    {
        _fill = fill ?? RandomNumberGenerator.Fill;
    }

    /// <summary>The device's counters.</summary>
    public RngMetrics Metrics { get; } = new();

    /// <inheritdoc />
    public override uint DeviceType => EntropyDeviceType;

    /// <inheritdoc />
    public override ulong AvailableFeatures { get; } =
        VirtioFeatures.Bit(VirtioFeatures.Version1)
        | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
        | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx);

    /// <inheritdoc />
    protected override IDisposable? StartSession(VirtioActivation activation, DeviceEventLoop loop)
    {
        if (activation.Queues.Count < 1)
        {
            // A transport bug rather than a guest one, but the device must still not fall over.
            Metrics.AddBrokenQueue();
            return null;
        }

        WatchRequests(activation, loop, 0, new RngQueueServer(activation.Memory, _fill, Metrics));
        return EmptySession.Instance;
    }

    /// <inheritdoc />
    protected override void OnFault(Exception exception) => Metrics.Errors.Increment();
}
