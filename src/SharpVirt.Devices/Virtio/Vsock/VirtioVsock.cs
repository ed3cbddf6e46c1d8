using System.Buffers.Binary;
using System.Net.Sockets;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Interop.Net;

namespace SharpVirt.Devices.Virtio.Vsock;

/// <summary>
/// The virtio socket device (virtio 1.2, section 5.10), stream sockets only, whose host side is a Unix socket as in
/// Firecracker: see <see cref="VsockMuxer"/> for the protocol. Receive, transmit and event queues; the event queue's
/// buffers are kept for transport resets, which this VMM does not send yet.
/// </summary>
public sealed class VirtioVsock : VirtioDevice
{
    /// <summary>The virtio device ID of a socket device.</summary>
    public const uint VsockDeviceType = 19;

    /// <summary>Size of each queue.</summary>
    public const ushort QueueMaxSize = 256;

    private readonly byte[] _config = new byte[8];
    private readonly UnixListener _listener;

    /// <summary>Creates the device and listens on <paramref name="udsPath"/> (a stale socket file there is replaced).</summary>
    /// <exception cref="SocketException">The socket cannot be created there.</exception>
    public VirtioVsock(ulong guestCid, string udsPath)
        : base("virtio-vsock", QueueMaxSize, QueueMaxSize, QueueMaxSize)
    {
        GuestCid = guestCid;
        UdsPath = udsPath;
        BinaryPrimitives.WriteUInt64LittleEndian(_config, guestCid);
        _listener = new UnixListener(udsPath, backlog: 16);
    }

    /// <summary>The guest's context id.</summary>
    public ulong GuestCid { get; }

    /// <summary>The host Unix socket.</summary>
    public string UdsPath { get; }

    /// <summary>The device's counters.</summary>
    public VsockMetrics Metrics { get; } = new();

    /// <inheritdoc />
    public override uint DeviceType => VsockDeviceType;

    /// <inheritdoc />
    public override ulong AvailableFeatures { get; } =
        VirtioFeatures.Bit(VirtioFeatures.Version1)
        | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
        | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx);

    /// <summary>Reads struct virtio_vsock_config: le64 guest_cid.</summary>
    public override void ReadConfig(uint offset, Span<byte> data) => ReadConfigBytes(_config, offset, data);

    /// <inheritdoc />
    protected override IDisposable? StartSession(VirtioActivation activation, DeviceEventLoop loop)
    {
        if (activation.Queues.Count < 3)
        {
            Metrics.AddBrokenQueue();
            return null;
        }

        var muxer = new VsockMuxer(activation, CreateQueue(activation, 0), 0, loop, Metrics, GuestCid, UdsPath, _listener.Socket);
        WatchQueue(loop, 0, muxer.OnRxNotify);
        muxer.TxQueue = WatchRequests(activation, loop, 1, muxer);
        return muxer;
    }

    /// <inheritdoc />
    protected override void OnFault(Exception exception) => Metrics.Errors.Increment();

    /// <summary>Closes the listener and removes its socket file.</summary>
    protected override void DisposeResources() => _listener.Dispose();
}
