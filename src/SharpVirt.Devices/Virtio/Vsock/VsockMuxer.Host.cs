using System.Globalization;
using System.Net.Sockets;
using System.Text;
using SharpVirt.Interop.Events;

namespace SharpVirt.Devices.Virtio.Vsock;

/// <summary>
/// The host sockets (Firecracker's hybrid vsock): a program connects to the main socket and writes
/// "CONNECT port\n" to reach a guest listener, and is answered "OK hostport\n" once the guest accepts; a guest
/// connecting to host port P is connected to the program listening on "uds_path_P". Every socket is non-blocking.
/// </summary>
internal sealed partial class VsockMuxer
{
    private const int MaxConnectLine = 32;
    private readonly Socket _listener;
    private readonly List<VsockConnection> _awaitingLine = [];
    private uint _nextLocalPort = 1U << 30;

    private void Accept()
    {
        Socket socket;
        try
        {
            socket = _listener.Accept();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            return;
        }
        catch (SocketException)
        {
            // Out of descriptors (EMFILE) or similar: the listener stays readable, so rest it instead of spinning.
            _metrics.ConnectionsRefused.Increment();
            _loop.Modify(_listener.SafeHandle, 0);
            _loop.Schedule(TimeSpan.FromMilliseconds(100), () => _loop.Modify(_listener.SafeHandle, Epoll.In));
            return;
        }

        if (_connections.Count + _awaitingLine.Count >= MaxConnections)
        {
            _metrics.ConnectionsRefused.Increment();
            socket.Dispose();
            return;
        }

        socket.Blocking = false;
        var conn = new VsockConnection(socket, 0, 0, VsockState.AwaitingConnectLine);
        _awaitingLine.Add(conn);
        _loop.Add(socket.SafeHandle, Epoll.In | Epoll.PeerHangup, events => OnHostEvent(conn, events));
        conn.WatchingInput = true;
        _loop.Schedule(HandshakeTimeout, () =>
        {
            if (!conn.Closed && conn.State == VsockState.AwaitingConnectLine)
            {
                Refuse(conn); // no CONNECT line in time
            }
        });
    }

    private void OnHostEvent(VsockConnection conn, uint events)
    {
        HandleHostEvent(conn, events);
        ProcessRx(); // whatever the event queued for the guest (data, a reset, a credit update) goes now
    }

    private void HandleHostEvent(VsockConnection conn, uint events)
    {
        if (conn.Closed)
        {
            return;
        }

        if ((events & Epoll.Out) != 0)
        {
            Watch(conn, conn.WatchingInput, output: false);
            FlushToHost(conn);
        }

        if ((events & (Epoll.In | Epoll.Hangup | Epoll.Error | Epoll.PeerHangup)) == 0 || conn.Closed)
        {
            return;
        }

        switch (conn.State)
        {
            case VsockState.AwaitingConnectLine:
                ReadConnectLine(conn);
                break;
            case VsockState.Established:
                StopInput(conn); // read when a receive chain is in hand; resumed then
                _readable.Enqueue(conn);
                ProcessRx();
                ResumeInput(conn);
                break;
            default:
                StopInput(conn); // nothing is read before the guest accepted, or after the host closed
                break;
        }
    }

    private void ReadConnectLine(VsockConnection conn)
    {
        Span<byte> one = stackalloc byte[1];
        while (conn.ConnectLine.Count < MaxConnectLine)
        {
            // One byte at a time: whatever follows the line is stream data for the guest, read later.
            var n = conn.Socket.Receive(one, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }

            if (error != SocketError.Success || n == 0)
            {
                Refuse(conn);
                return;
            }

            if (one[0] == (byte)'\n')
            {
                StartGuestConnection(conn, Encoding.ASCII.GetString([.. conn.ConnectLine]).TrimEnd('\r'));
                return;
            }

            conn.ConnectLine.Add(one[0]);
        }

        Refuse(conn); // a line longer than any "CONNECT port"
    }

    private void StartGuestConnection(VsockConnection pending, string line)
    {
        var parts = line.Split(' ');
        if (parts is not ["CONNECT", var portText] || !uint.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            Refuse(pending);
            return;
        }

        _awaitingLine.Remove(pending);
        var conn = pending;
        conn.PeerPort = port;
        conn.LocalPort = AllocateLocalPort(port);
        conn.State = VsockState.Connecting;
        _connections[(conn.LocalPort, conn.PeerPort)] = conn;
        StopInput(conn); // nothing more is read before the guest accepts
        SendControl(conn, VsockOp.Request);
        _loop.Schedule(HandshakeTimeout, () =>
        {
            if (!conn.Closed && conn.State == VsockState.Connecting)
            {
                _metrics.ConnectionsRefused.Increment(); // the guest never answered
                Reset(conn);
                ProcessRx();
            }
        });
    }

    /// <summary>The guest accepted a host-initiated connection: tell the host program which port it got.</summary>
    private void Establish(VsockConnection conn)
    {
        conn.State = VsockState.Established;
        _metrics.ConnectionsOpened.Increment();
        conn.Socket.Send(Encoding.ASCII.GetBytes($"OK {conn.LocalPort}\n"), SocketFlags.None, out _);
        ResumeInput(conn);
    }

    /// <summary>The guest connects to host port <c>DstPort</c>: connect to the program listening on uds_path_port.</summary>
    private void ConnectToHost(VsockHeader h)
    {
        if (_connections.Count + _awaitingLine.Count >= MaxConnections)
        {
            _metrics.ConnectionsRefused.Increment();
            ReplyRst(h);
            return;
        }

        // Non-blocking: a host listener whose backlog is full refuses at once instead of stalling the loop.
        Socket? socket = null;
        try
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            socket.Connect(new UnixDomainSocketEndPoint($"{_udsPath}_{h.DstPort.ToString(CultureInfo.InvariantCulture)}"));
        }
        catch (SocketException)
        {
            // Nobody listens there, its backlog is full, or this process is out of descriptors.
            socket?.Dispose();
            _metrics.ConnectionsRefused.Increment();
            ReplyRst(h);
            return;
        }

        var conn = new VsockConnection(socket, h.DstPort, h.SrcPort, VsockState.Established)
        {
            PeerBufAlloc = h.BufAlloc,
            PeerForwardCount = h.FwdCnt,
        };
        _connections[(conn.LocalPort, conn.PeerPort)] = conn;
        _loop.Add(socket.SafeHandle, 0, events => OnHostEvent(conn, events));
        _metrics.ConnectionsOpened.Increment();
        SendControl(conn, VsockOp.Response);
        ResumeInput(conn);
    }

    /// <summary>Writes buffered guest data to the host socket; what it cannot take now waits for EPOLLOUT.</summary>
    private void FlushToHost(VsockConnection conn)
    {
        while (conn.PendingToHost > 0 && !conn.Closed)
        {
            var n = conn.Socket.Send(conn.ToHost.AsSpan(conn.ToHostStart, conn.PendingToHost), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                Watch(conn, conn.WatchingInput, output: true);
                return;
            }

            if (error != SocketError.Success)
            {
                Reset(conn); // the host program went away
                return;
            }

            conn.ToHostStart += n;
            conn.ForwardCount += (uint)n;
        }

        if (conn.Closed)
        {
            return;
        }

        conn.ToHostStart = 0;
        conn.ToHostEnd = 0;
        if (conn.ResetWhenFlushed)
        {
            Reset(conn);
            return;
        }

        if (conn.PeerDoneSending && !conn.HostWriteShut)
        {
            conn.HostWriteShut = true;
            try
            {
                conn.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The host program is gone: its end of input shows up as a close.
            }
        }

        // Tell the guest about freed buffer space before it runs out of credit.
        if (unchecked(conn.ForwardCount - conn.ReportedForwardCount) >= VsockConnection.BufferBytes / 2)
        {
            SendControl(conn, VsockOp.CreditUpdate);
        }
    }

    /// <summary>The host program closed its end: tell the guest, and finish when it resets (or after a timeout).</summary>
    private void HostClosed(VsockConnection conn)
    {
        conn.HostDoneSending = true;
        StopInput(conn);
        conn.State = VsockState.Closing;
        SendControl(conn, VsockOp.Shutdown, VsockOp.ShutdownReceive | VsockOp.ShutdownSend);
        _loop.Schedule(HandshakeTimeout, () =>
        {
            if (!conn.Closed)
            {
                Remove(conn); // the guest did not answer with a reset
            }
        });
    }

    private void Refuse(VsockConnection conn)
    {
        _metrics.ConnectionsRefused.Increment();
        Remove(conn);
    }

    private uint AllocateLocalPort(uint peerPort)
    {
        while (_connections.ContainsKey((_nextLocalPort, peerPort)))
        {
            _nextLocalPort = _nextLocalPort == uint.MaxValue ? 1U << 30 : _nextLocalPort + 1;
        }

        return _nextLocalPort++;
    }
}
