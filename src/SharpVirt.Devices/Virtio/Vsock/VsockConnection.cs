using System.Net.Sockets;

namespace SharpVirt.Devices.Virtio.Vsock;

/// <summary>Where a connection is in its life.</summary>
internal enum VsockState
{
    /// <summary>A host program connected to the main socket; its "CONNECT port" line is still being read.</summary>
    AwaitingConnectLine,
    /// <summary>A REQUEST went to the guest; its RESPONSE (or RST) is awaited.</summary>
    Connecting,
    /// <summary>Data flows both ways.</summary>
    Established,
    /// <summary>A SHUTDOWN went to the guest after the host side closed; the guest's RST is awaited.</summary>
    Closing,
}

/// <summary>
/// One stream between a guest port and a host Unix socket, with virtio-vsock's credit accounting (virtio 1.2,
/// section 5.10.6.3): the guest may have at most <see cref="BufferBytes"/> bytes in flight towards the host socket,
/// and the device sends the guest no more than the guest's advertised buffer allows.
/// </summary>
internal sealed class VsockConnection(Socket socket, uint localPort, uint peerPort, VsockState state)
{
    /// <summary>buf_alloc the device advertises: bytes it buffers for one connection towards the host socket.</summary>
    internal const int BufferBytes = 256 * 1024;

    /// <summary>The host socket (non-blocking).</summary>
    internal Socket Socket { get; } = socket;

    /// <summary>The host side's port (the guest sees it as the peer's port on CID 2).</summary>
    internal uint LocalPort { get; set; } = localPort;

    /// <summary>The guest's port.</summary>
    internal uint PeerPort { get; set; } = peerPort;

    internal VsockState State { get; set; } = state;

    /// <summary>Bytes of the "CONNECT port\n" line read so far.</summary>
    internal List<byte> ConnectLine { get; } = [];

    /// <summary>
    /// Guest bytes not yet written to the host socket (at most <see cref="BufferBytes"/>): allocated only once a host
    /// program reads slower than the guest writes, so a thousand idle connections cost no buffers.
    /// </summary>
    internal byte[] ToHost => _toHost ??= new byte[BufferBytes];

    private byte[]? _toHost;

    internal int ToHostStart { get; set; }

    internal int ToHostEnd { get; set; }

    /// <summary>Bytes from the guest written to the host socket (fwd_cnt).</summary>
    internal uint ForwardCount { get; set; }

    /// <summary>fwd_cnt as last told to the guest.</summary>
    internal uint ReportedForwardCount { get; set; }

    /// <summary>The guest's receive buffer (buf_alloc) and how much it has consumed (fwd_cnt), from its last packet.</summary>
    internal uint PeerBufAlloc { get; set; }

    internal uint PeerForwardCount { get; set; }

    /// <summary>Bytes the device has sent to the guest (tx_cnt).</summary>
    internal uint SentCount { get; set; }

    /// <summary>The guest will send no more (SHUTDOWN with SEND).</summary>
    internal bool PeerDoneSending { get; set; }

    /// <summary>The guest closed: reset once the buffered bytes have reached the host socket.</summary>
    internal bool ResetWhenFlushed { get; set; }

    /// <summary>The host socket's writing side was shut down (after the guest's SHUTDOWN with SEND).</summary>
    internal bool HostWriteShut { get; set; }

    /// <summary>The host socket reached end of input.</summary>
    internal bool HostDoneSending { get; set; }

    /// <summary>Whether epoll currently watches the socket for input / output.</summary>
    internal bool WatchingInput { get; set; }

    internal bool WatchingOutput { get; set; }

    /// <summary>Removed: its socket is closed and any later event for it is ignored.</summary>
    internal bool Closed { get; set; }

    /// <summary>Bytes the device may still send to the guest.</summary>
    internal uint PeerCredit => unchecked(PeerBufAlloc - (SentCount - PeerForwardCount)) is var credit && credit <= PeerBufAlloc ? credit : 0;

    /// <summary>Guest bytes waiting for the host socket.</summary>
    internal int PendingToHost => ToHostEnd - ToHostStart;
}
