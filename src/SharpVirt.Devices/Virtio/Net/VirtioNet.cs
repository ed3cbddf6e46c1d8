using System.Buffers.Binary;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Interop;
using SharpVirt.Interop.Net;

namespace SharpVirt.Devices.Virtio.Net;

/// <summary>
/// The virtio network device (virtio 1.2, section 5.1) on a host backend (a tap): a receive and a transmit queue,
/// the virtio-net header passed through to the tap so checksum and segmentation offloads work both ways, mergeable
/// receive buffers, a MAC address and a link that is up. Receive and transmit run on the device's "virtio-net" loop
/// thread, each with an optional rate limit.
/// </summary>
public sealed class VirtioNet : VirtioDevice
{
    /// <summary>The virtio device ID of a network card.</summary>
    public const uint NetDeviceType = 1;

    /// <summary>Size of each queue.</summary>
    public const ushort QueueMaxSize = 256;

    /// <summary>struct virtio_net_hdr_v1, in front of every frame both ways.</summary>
    public const int HeaderSize = Tap.VnetHeaderSize;

    /// <summary>The largest frame with its header: a 64 KiB segmentation-offload frame plus Ethernet and header.</summary>
    public const int MaxFrameBytes = 65562;

    /// <summary>VIRTIO_NET_F_CSUM: the device takes frames with a partial checksum.</summary>
    public const int FeatureCsum = 0;
    /// <summary>VIRTIO_NET_F_GUEST_CSUM: the driver takes frames with a partial checksum.</summary>
    public const int FeatureGuestCsum = 1;
    /// <summary>VIRTIO_NET_F_MAC: the configuration space has a MAC address.</summary>
    public const int FeatureMac = 5;
    /// <summary>VIRTIO_NET_F_GUEST_TSO4.</summary>
    public const int FeatureGuestTso4 = 7;
    /// <summary>VIRTIO_NET_F_GUEST_TSO6.</summary>
    public const int FeatureGuestTso6 = 8;
    /// <summary>VIRTIO_NET_F_GUEST_ECN.</summary>
    public const int FeatureGuestEcn = 9;
    /// <summary>VIRTIO_NET_F_HOST_TSO4.</summary>
    public const int FeatureHostTso4 = 11;
    /// <summary>VIRTIO_NET_F_HOST_TSO6.</summary>
    public const int FeatureHostTso6 = 12;
    /// <summary>VIRTIO_NET_F_HOST_ECN.</summary>
    public const int FeatureHostEcn = 13;
    /// <summary>VIRTIO_NET_F_MRG_RXBUF: a frame may span several receive buffers.</summary>
    public const int FeatureMergeableRx = 15;
    /// <summary>VIRTIO_NET_F_STATUS: the configuration space has a link status.</summary>
    public const int FeatureStatus = 16;

    /// <summary>Size of the configuration space: mac[6], status, max_virtqueue_pairs.</summary>
    public const int ConfigSize = 10;

    private const ushort LinkUp = 1;

    private readonly INetBackend _backend;
    private readonly byte[] _config = new byte[ConfigSize];
    private NetRx? _rx;

    /// <summary>Creates the device over <paramref name="backend"/> (owned: disposed with the device).</summary>
    /// <param name="backend">The tap (or a test's socket).</param>
    /// <param name="mac">The guest's MAC address (6 bytes).</param>
    /// <param name="rxLimiter">Limits frames and bytes towards the guest; null: unlimited.</param>
    /// <param name="txLimiter">Limits frames and bytes from the guest; null: unlimited.</param>
    public VirtioNet(INetBackend backend, ReadOnlySpan<byte> mac, RateLimiter? rxLimiter = null, RateLimiter? txLimiter = null)
        : base("virtio-net", QueueMaxSize, QueueMaxSize)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (mac.Length != 6)
        {
            throw new ArgumentException("a MAC address has 6 bytes", nameof(mac));
        }

        _backend = backend;
        RxRateLimiter = rxLimiter ?? RateLimiter.Unlimited();
        TxRateLimiter = txLimiter ?? RateLimiter.Unlimited();
        mac.CopyTo(_config);
        BinaryPrimitives.WriteUInt16LittleEndian(_config.AsSpan(6), LinkUp);
        BinaryPrimitives.WriteUInt16LittleEndian(_config.AsSpan(8), 1);
        AvailableFeatures = VirtioFeatures.Bit(VirtioFeatures.Version1)
            | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
            | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx)
            | Bits(FeatureCsum, FeatureGuestCsum, FeatureMac, FeatureGuestTso4, FeatureGuestTso6, FeatureGuestEcn,
                FeatureHostTso4, FeatureHostTso6, FeatureHostEcn, FeatureMergeableRx, FeatureStatus);
    }

    /// <summary>The device's counters.</summary>
    public NetMetrics Metrics { get; } = new();

    /// <summary>Receive chains popped for a frame that has not fit yet are held; a restore pops them again.</summary>
    protected override int HeldChains(int queueIndex) => queueIndex == 0 ? _rx?.HeldChains ?? 0 : 0;

    /// <summary>Limits on what the guest receives; reconfigurable while the guest runs.</summary>
    public RateLimiter RxRateLimiter { get; }

    /// <summary>Limits on what the guest sends; reconfigurable while the guest runs.</summary>
    public RateLimiter TxRateLimiter { get; }

    /// <summary>The guest's MAC address.</summary>
    public ReadOnlySpan<byte> Mac => _config.AsSpan(0, 6);

    /// <summary>The offload flags last given to the backend (TUN_F_*).</summary>
    public uint BackendOffload { get; private set; }

    /// <inheritdoc />
    public override uint DeviceType => NetDeviceType;

    /// <inheritdoc />
    public override ulong AvailableFeatures { get; }

    /// <summary>Reads struct virtio_net_config; the MAC and the link status are read-only.</summary>
    public override void ReadConfig(uint offset, Span<byte> data) => ReadConfigBytes(_config, offset, data);

    /// <summary>The offloads the tap may hand to a driver that acknowledged <paramref name="features"/>.</summary>
    public static uint OffloadFor(ulong features)
    {
        bool Has(int bit) => (features & VirtioFeatures.Bit(bit)) != 0;
        if (!Has(FeatureGuestCsum))
        {
            return 0; // without it, every frame must arrive fully checksummed and unsegmented
        }

        var flags = TunAbi.TUN_F_CSUM;
        flags |= Has(FeatureGuestTso4) ? TunAbi.TUN_F_TSO4 : 0;
        flags |= Has(FeatureGuestTso6) ? TunAbi.TUN_F_TSO6 : 0;
        flags |= Has(FeatureGuestEcn) && (flags & (TunAbi.TUN_F_TSO4 | TunAbi.TUN_F_TSO6)) != 0 ? TunAbi.TUN_F_TSO_ECN : 0;
        return flags;
    }

    /// <inheritdoc />
    protected override IDisposable? StartSession(VirtioActivation activation, DeviceEventLoop loop)
    {
        if (activation.Queues.Count < 2)
        {
            Metrics.AddBrokenQueue();
            return null;
        }

        SetBackendOffload(OffloadFor(activation.AckedFeatures));
        var mergeable = (activation.AckedFeatures & VirtioFeatures.Bit(FeatureMergeableRx)) != 0;
        var rx = new NetRx(activation, CreateQueue(activation, 0), 0, _backend, loop, Metrics, RxRateLimiter, mergeable);
        _rx = rx;
        WatchQueue(loop, 0, rx.Process);
        var tx = new NetTx(activation.Memory, _backend, Metrics, TxRateLimiter, loop);
        tx.Queue = WatchRequests(activation, loop, 1, tx);
        return new Session(this);
    }

    /// <inheritdoc />
    protected override void OnFault(Exception exception) => Metrics.Errors.Increment();

    /// <inheritdoc />
    public override string? ReleaseHost() => _backend.Detach();

    /// <inheritdoc />
    public override string? ReclaimHost() => _backend.Attach();

    /// <summary>Closes the backend.</summary>
    protected override void DisposeResources() => _backend.Dispose();

    private void SetBackendOffload(uint flags)
    {
        try
        {
            _backend.SetOffload(flags);
            BackendOffload = flags;
        }
        catch (SystemCallException)
        {
            // A tap that refuses offloads still carries plain frames, which every driver takes.
            Metrics.Errors.Increment();
        }
    }

    private static ulong Bits(params int[] bits) => bits.Aggregate(0UL, (mask, bit) => mask | VirtioFeatures.Bit(bit));

    /// <summary>At reset the backend goes back to plain frames: no driver is there to take offloaded ones.</summary>
    private sealed class Session(VirtioNet device) : IDisposable
    {
        public void Dispose() => device.SetBackendOffload(0);
    }
}
