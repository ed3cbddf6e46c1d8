using System.Net.Sockets;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Vsock;

/// <summary>
/// The connections of one vsock activation, on the device's loop thread: packets from the guest's transmit queue are
/// checked and dispatched here (this file); packets to the guest wait in a control queue or as readable host sockets
/// until the guest posts receive buffers (VsockMuxer.Rx.cs); the host sockets live in VsockMuxer.Host.cs.
/// </summary>
internal sealed partial class VsockMuxer : IQueueServer, IDisposable
{
    /// <summary>The largest payload of one packet either way (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE).</summary>
    internal const int MaxPayload = 64 * 1024;

    /// <summary>Connections one device keeps at most (as Firecracker); more are refused.</summary>
    internal const int MaxConnections = 1023;

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(2);

    private readonly DeviceEventLoop _loop;
    private readonly GuestMemory _memory;
    private readonly VsockMetrics _metrics;
    private readonly ulong _guestCid;
    private readonly string _udsPath;
    private readonly Dictionary<(uint Local, uint Peer), VsockConnection> _connections = [];
    private readonly byte[] _packet = new byte[VsockHeader.Size + MaxPayload];

    internal VsockMuxer(VirtioActivation activation, Virtqueue rx, int rxIndex, DeviceEventLoop loop, VsockMetrics metrics,
        ulong guestCid, string udsPath, Socket listener)
    {
        _loop = loop;
        _memory = activation.Memory;
        _rxQueue = rx;
        _rxIndex = rxIndex;
        _interrupt = activation.Interrupt;
        _metrics = metrics;
        _guestCid = guestCid;
        _udsPath = udsPath;
        _listener = listener;
        loop.Add(listener.SafeHandle, Interop.Events.Epoll.In, _ => Accept());
    }

    /// <summary>The established and half-open connections (for tests and metrics).</summary>
    internal int ConnectionCount => _connections.Count;

    /// <summary>The transmit queue this muxer serves (set once, right after it is built): paused while replies pile up.</summary>
    internal RequestQueue? TxQueue { get; set; }

    /// <inheritdoc />
    public ServeResult Serve(DescriptorChain chain)
    {
        if (_control.Count >= MaxControl)
        {
            // The guest sends faster than it takes the replies: stop reading its packets until the replies drain.
            _txPaused = true;
            return ServeResult.Throttled;
        }

        _metrics.TxPackets.Increment();
        if (chain.ReadableLength < VsockHeader.Size)
        {
            _metrics.Errors.Increment();
            return ServeResult.Done(0);
        }

        var header = _packet.AsSpan(0, VsockHeader.Size);
        chain.CopyFrom(_memory, header, 0);
        var h = VsockHeader.Read(header);
        if (h.Length > chain.ReadableLength - VsockHeader.Size || h.Length > MaxPayload
            || h.SrcCid != _guestCid || h.DstCid != VsockOp.HostCid)
        {
            // A length the chain does not hold, or addresses that are not this guest to the host: dropped.
            _metrics.Errors.Increment();
            return ServeResult.Done(0);
        }

        Dispatch(h, chain);
        ProcessRx();
        return ServeResult.Done(0);
    }

    /// <inheritdoc />
    public void OnRejected() => _metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnError() => _metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnBroken() => _metrics.AddBrokenQueue();

    private void Dispatch(VsockHeader h, DescriptorChain chain)
    {
        if (h.Type != VsockOp.TypeStream)
        {
            ReplyRst(h);
            return;
        }

        _connections.TryGetValue((h.DstPort, h.SrcPort), out var conn);
        if (conn is not null)
        {
            // Every packet carries the guest's credit; more of it may let host data flow again.
            conn.PeerBufAlloc = h.BufAlloc;
            conn.PeerForwardCount = h.FwdCnt;
            ResumeInput(conn);
        }

        switch (h.Op)
        {
            case VsockOp.Request when conn is null:
                ConnectToHost(h);
                break;
            case VsockOp.Response when conn is { State: VsockState.Connecting }:
                Establish(conn);
                break;
            case VsockOp.Rst:
                if (conn is not null)
                {
                    _metrics.Resets.Increment();
                    Remove(conn);
                }

                break;
            case VsockOp.Shutdown when conn is not null:
                PeerShutdown(conn, h.Flags);
                break;
            case VsockOp.Rw when conn is { State: VsockState.Established }:
                Receive(conn, chain, h.Length);
                break;
            case VsockOp.CreditUpdate when conn is not null:
                ResumeInput(conn); // more credit: more host data may go to the guest
                break;
            case VsockOp.CreditRequest when conn is not null:
                SendControl(conn, VsockOp.CreditUpdate);
                break;
            default:
                // Anything else (data for no connection, a duplicate request, an unknown op): refused with a reset.
                if (conn is not null)
                {
                    Reset(conn);
                }
                else if (h.Op != VsockOp.Rst)
                {
                    ReplyRst(h);
                }

                break;
        }
    }

    /// <summary>
    /// Guest data for the host socket: written straight through when the socket takes it, the rest buffered; beyond the
    /// credit the device advertised, the connection is reset.
    /// </summary>
    private void Receive(VsockConnection conn, DescriptorChain chain, uint length)
    {
        if (length > VsockConnection.BufferBytes - conn.PendingToHost)
        {
            _metrics.Errors.Increment(); // the guest ignored buf_alloc
            Reset(conn);
            return;
        }

        var data = _packet.AsSpan(VsockHeader.Size, (int)length);
        chain.CopyFrom(_memory, data, VsockHeader.Size);
        _metrics.TxBytes.Add(length);
        if (conn.PendingToHost == 0)
        {
            var sent = conn.Socket.Send(data, SocketFlags.None, out var error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                Reset(conn); // the host program went away
                return;
            }

            sent = Math.Max(sent, 0);
            conn.ForwardCount += (uint)sent;
            data = data[sent..];
        }

        if (conn.ToHostEnd + data.Length > VsockConnection.BufferBytes)
        {
            conn.ToHost.AsSpan(conn.ToHostStart, conn.PendingToHost).CopyTo(conn.ToHost);
            conn.ToHostEnd = conn.PendingToHost;
            conn.ToHostStart = 0;
        }

        data.CopyTo(conn.ToHost.AsSpan(conn.ToHostEnd));
        conn.ToHostEnd += data.Length;
        FlushToHost(conn);
    }

    private void PeerShutdown(VsockConnection conn, uint flags)
    {
        if ((flags & VsockOp.ShutdownSend) != 0 && (flags & VsockOp.ShutdownReceive) == 0)
        {
            conn.PeerDoneSending = true;
            FlushToHost(conn); // half-closes the host socket once the buffered bytes are out
        }

        if ((flags & (VsockOp.ShutdownSend | VsockOp.ShutdownReceive)) == (VsockOp.ShutdownSend | VsockOp.ShutdownReceive) && !conn.Closed)
        {
            // The guest closed and waits for our reset (Linux's close path); buffered bytes reach the host first.
            conn.ResetWhenFlushed = true;
            FlushToHost(conn);
        }
    }

    private void Reset(VsockConnection conn)
    {
        if (conn.State != VsockState.AwaitingConnectLine)
        {
            SendControl(conn, VsockOp.Rst);
        }

        _metrics.Resets.Increment();
        Remove(conn);
    }

    /// <summary>A reset for a packet that belongs to no connection.</summary>
    private void ReplyRst(VsockHeader h) =>
        _control.Enqueue(new VsockHeader(VsockOp.HostCid, _guestCid, h.DstPort, h.SrcPort, 0, VsockOp.TypeStream, VsockOp.Rst, 0, 0, 0));

    private void SendControl(VsockConnection conn, ushort op, uint flags = 0)
    {
        _control.Enqueue(Header(conn, op, 0, flags));
        conn.ReportedForwardCount = conn.ForwardCount;
    }

    private VsockHeader Header(VsockConnection conn, ushort op, uint length, uint flags) => new(
        VsockOp.HostCid, _guestCid, conn.LocalPort, conn.PeerPort, length, VsockOp.TypeStream, op, flags,
        VsockConnection.BufferBytes, conn.ForwardCount);

    private void Remove(VsockConnection conn)
    {
        if (conn.State != VsockState.AwaitingConnectLine)
        {
            _connections.Remove((conn.LocalPort, conn.PeerPort));
        }

        _awaitingLine.Remove(conn);
        conn.State = VsockState.Closing;
        conn.Closed = true;
        _loop.Remove(conn.Socket.SafeHandle);
        conn.Socket.Dispose();
    }

    /// <summary>Closes every host socket (at reset: the guest's connections are gone).</summary>
    public void Dispose()
    {
        foreach (var conn in _connections.Values.Concat(_awaitingLine).ToList())
        {
            conn.Socket.Dispose();
        }

        _connections.Clear();
        _awaitingLine.Clear();
    }
}
