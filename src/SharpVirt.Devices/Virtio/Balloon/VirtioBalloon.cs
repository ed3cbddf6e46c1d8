using System.Buffers.Binary;
using SharpVirt.Devices.EventLoop;

namespace SharpVirt.Devices.Virtio.Balloon;

/// <summary>
/// The virtio memory balloon (virtio 1.2, section 5.5). The host sets a target (<see cref="SetTarget"/>); the driver
/// inflates towards it, giving pages whose host memory is released (madvise MADV_DONTNEED), and deflates when the
/// target drops. Optionally the driver reports memory statistics every interval and reports the pages it frees, which
/// the host releases too (free page reporting), so the VMM's RSS follows what the guest really uses.
/// </summary>
public sealed class VirtioBalloon : VirtioDevice
{
    /// <summary>The virtio device ID of a memory balloon.</summary>
    public const uint BalloonDeviceType = 5;

    /// <summary>Size of each queue.</summary>
    public const ushort QueueMaxSize = 256;

    /// <summary>VIRTIO_BALLOON_F_STATS_VQ.</summary>
    public const int FeatureStatsQueue = 1;

    /// <summary>VIRTIO_BALLOON_F_DEFLATE_ON_OOM: the guest may deflate under memory pressure.</summary>
    public const int FeatureDeflateOnOom = 2;

    /// <summary>VIRTIO_BALLOON_F_PAGE_REPORTING: the reporting queue exists.</summary>
    public const int FeaturePageReporting = 5;

    /// <summary>Pages of 4 KiB in a MiB.</summary>
    public const int PagesPerMib = 256;

    private const int ConfigSize = 16; // num_pages, actual, free_page_hint_cmd_id, poison_val

    private readonly Lock _lock = new();
    private readonly byte[] _config = new byte[ConfigSize];
    private readonly TimeSpan _statsInterval;
    private IVirtioInterrupt? _interrupt;
    private BalloonStatistics? _statistics;
    private BalloonStats? _stats;
    private int _statsIndex = -1;

    /// <summary>Creates the balloon.</summary>
    /// <param name="targetMib">The initial target: MiB the balloon should hold.</param>
    /// <param name="deflateOnOom">Offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM.</param>
    /// <param name="statsInterval">How often to ask for statistics; zero: no statistics queue.</param>
    /// <param name="freePageReporting">Offer free page reporting.</param>
    public VirtioBalloon(long targetMib, bool deflateOnOom, TimeSpan statsInterval, bool freePageReporting)
        : base("virtio-balloon", QueueSizes(statsInterval > TimeSpan.Zero, freePageReporting))
    {
        _statsInterval = statsInterval;
        AvailableFeatures = VirtioFeatures.Bit(VirtioFeatures.Version1)
            | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
            | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx)
            | (statsInterval > TimeSpan.Zero ? VirtioFeatures.Bit(FeatureStatsQueue) : 0)
            | (deflateOnOom ? VirtioFeatures.Bit(FeatureDeflateOnOom) : 0)
            | (freePageReporting ? VirtioFeatures.Bit(FeaturePageReporting) : 0);
        SetTarget(targetMib);
    }

    /// <summary>The device's counters.</summary>
    public BalloonMetrics Metrics { get; } = new();

    /// <inheritdoc />
    public override uint DeviceType => BalloonDeviceType;

    /// <inheritdoc />
    public override ulong AvailableFeatures { get; }

    /// <summary>The target: MiB the host asked the balloon to hold.</summary>
    public long TargetMib
    {
        get
        {
            lock (_lock)
            {
                return BinaryPrimitives.ReadUInt32LittleEndian(_config) / PagesPerMib;
            }
        }
    }

    /// <summary>MiB the driver says the balloon holds (its "actual" field).</summary>
    public long ActualMib
    {
        get
        {
            lock (_lock)
            {
                return BinaryPrimitives.ReadUInt32LittleEndian(_config.AsSpan(4)) / PagesPerMib;
            }
        }
    }

    /// <summary>The latest statistics, or null before the first report (or without a statistics queue).</summary>
    public BalloonStatistics? Statistics => Volatile.Read(ref _statistics);

    /// <summary>Asks the driver to make the balloon hold <paramref name="mib"/> MiB (it inflates or deflates); any thread.</summary>
    public void SetTarget(long mib)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mib);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mib, uint.MaxValue / PagesPerMib);
        IVirtioInterrupt? interrupt;
        lock (_lock)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_config, (uint)(mib * PagesPerMib));
            interrupt = _interrupt;
        }

        interrupt?.SignalConfigChange();
    }

    /// <summary>Reads struct virtio_balloon_config.</summary>
    public override void ReadConfig(uint offset, Span<byte> data)
    {
        lock (_lock)
        {
            ReadConfigBytes(_config, offset, data);
        }
    }

    /// <summary>The driver may write "actual" (bytes 4-7) only; anything else is ignored.</summary>
    public override void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                var at = (ulong)offset + (ulong)i;
                if (at is >= 4 and < 8)
                {
                    _config[at] = data[i];
                }
            }
        }
    }

    /// <inheritdoc />
    protected override IDisposable? StartSession(VirtioActivation activation, DeviceEventLoop loop)
    {
        // Linux numbers only the queues whose features were negotiated: inflate, deflate, then stats, then reporting.
        var features = activation.AckedFeatures;
        var stats = (features & VirtioFeatures.Bit(FeatureStatsQueue)) != 0;
        var reporting = (features & VirtioFeatures.Bit(FeaturePageReporting)) != 0;
        var needed = 2 + (stats ? 1 : 0) + (reporting ? 1 : 0);
        if (activation.Queues.Count < needed)
        {
            Metrics.AddBrokenQueue();
            return null;
        }

        var memory = activation.Memory;
        WatchRequests(activation, loop, 0, new BalloonPages(memory, Metrics, BalloonPages.Kind.Inflate));
        WatchRequests(activation, loop, 1, new BalloonPages(memory, Metrics, BalloonPages.Kind.Deflate));
        var next = 2;
        if (stats)
        {
            var index = next++;
            var queue = new BalloonStats(activation, CreateQueue(activation, index), index, Metrics, loop, _statsInterval,
                s => Volatile.Write(ref _statistics, s));
            WatchQueue(loop, index, queue.OnNotify);
            (_stats, _statsIndex) = (queue, index);
        }

        if (reporting)
        {
            WatchRequests(activation, loop, next, new BalloonPages(memory, Metrics, BalloonPages.Kind.Report));
        }

        lock (_lock)
        {
            _interrupt = activation.Interrupt;
        }

        return new Session(this);
    }

    /// <inheritdoc />
    protected override void OnFault(Exception exception) => Metrics.Errors.Increment();

    /// <summary>The statistics buffer the device keeps until the next interval is popped but not used.</summary>
    protected override int HeldChains(int queueIndex) => queueIndex == _statsIndex && _stats?.IsHolding == true ? 1 : 0;

    /// <summary>The configuration space: the target and what the driver reported as actual.</summary>
    public override byte[]? SaveDeviceState()
    {
        lock (_lock)
        {
            return [.. _config];
        }
    }

    /// <inheritdoc />
    public override void RestoreDeviceState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            state.AsSpan(0, Math.Min(state.Length, ConfigSize)).CopyTo(_config);
        }
    }

    private static ushort[] QueueSizes(bool stats, bool reporting) =>
        [QueueMaxSize, QueueMaxSize, .. stats ? [QueueMaxSize] : Array.Empty<ushort>(), .. reporting ? [QueueMaxSize] : Array.Empty<ushort>()];

    /// <summary>At reset the driver is gone: no config interrupt, and "actual" starts over.</summary>
    private sealed class Session(VirtioBalloon balloon) : IDisposable
    {
        public void Dispose()
        {
            lock (balloon._lock)
            {
                balloon._interrupt = null;
                balloon._config.AsSpan(4, 4).Clear();
            }
        }
    }
}
