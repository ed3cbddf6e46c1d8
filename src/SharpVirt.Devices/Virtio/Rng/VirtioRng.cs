using System.Security.Cryptography;
using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Virtio.Rng;

/// <summary>
/// The virtio entropy device (virtio 1.2, section 5.4): one request queue whose device-writable buffers are
/// filled with bytes from the host's entropy source. It has no configuration space. Requests are served on a
/// dedicated "virtio-rng" thread started at <see cref="Activate"/>; <see cref="QueueNotify"/> only wakes it.
/// </summary>
public sealed class VirtioRng : IVirtioDevice, IDisposable
{
    /// <summary>The virtio device ID of an entropy source.</summary>
    public const uint EntropyDeviceType = 4;

    /// <summary>The largest request queue the device accepts.</summary>
    public const ushort QueueMaxSize = 256;

    /// <summary>The most bytes a single request is given; a larger buffer is filled only this far.</summary>
    public const int MaxRequestBytes = RngQueueServer.MaxRequestBytes;

    private static readonly ushort[] QueueSizes = [QueueMaxSize];

    private readonly Action<Span<byte>> _fill;
    private readonly QueueWorkerHost _host = new("virtio-rng");

    /// <summary>Creates the device.</summary>
    /// <param name="fill">
    /// The entropy source: fills the span it is given. Defaults to <see cref="RandomNumberGenerator.Fill"/> (the host's
    /// getrandom). It runs on the device thread and may block.
    /// </param>
    public VirtioRng(Action<Span<byte>>? fill = null)
    {
        _fill = fill ?? RandomNumberGenerator.Fill;
    }

    /// <summary>The device's counters.</summary>
    public RngMetrics Metrics { get; } = new();

    /// <inheritdoc />
    public uint DeviceType => EntropyDeviceType;

    /// <inheritdoc />
    public ulong AvailableFeatures { get; } =
        VirtioFeatures.Bit(VirtioFeatures.Version1)
        | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
        | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx);

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes => QueueSizes;

    /// <summary>Whether the device is activated and its worker thread is running.</summary>
    public bool IsActive => _host.IsActive;

    /// <summary>The device has no configuration space: every byte reads as zero.</summary>
    public void ReadConfig(uint offset, Span<byte> data) => data.Clear();

    /// <summary>The device has no configuration space: writes are ignored.</summary>
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
    }

    /// <summary>Builds the request queue from what the driver negotiated and starts the worker thread.</summary>
    public void Activate(VirtioActivation activation)
    {
        if (!_host.Activate(activation, memory => new RngQueueServer(memory, _fill, Metrics), this))
        {
            // A transport bug rather than a guest one, but the device must still not fall over.
            Metrics.AddBrokenQueue();
        }
    }

    /// <summary>Wakes the worker thread; returns at once (this runs on a vCPU thread).</summary>
    public void QueueNotify(int queueIndex) => _host.Notify(queueIndex);

    /// <summary>Stops the worker (waiting until it no longer touches guest memory) and drops the queue.</summary>
    public void Reset() => _host.Reset();

    /// <summary>Stops the worker thread.</summary>
    public void Dispose()
    {
        _host.Dispose();
    }
}
