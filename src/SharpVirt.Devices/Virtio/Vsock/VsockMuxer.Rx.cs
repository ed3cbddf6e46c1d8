using System.Net.Sockets;
using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Virtio.Vsock;

/// <summary>
/// Packets to the guest: control packets (responses, resets, shutdowns, credit updates) go first, then data read
/// from host sockets that have input and credit. A socket is read only once a receive chain is in hand and for no more
/// than that chain, the guest's credit and <see cref="MaxPayload"/> allow; while the guest has no receive buffers the
/// sockets are not watched, so level-triggered epoll does not spin.
/// </summary>
internal sealed partial class VsockMuxer
{
    private readonly Virtqueue _rxQueue;
    private readonly int _rxIndex;
    private readonly IVirtioInterrupt _interrupt;
    private readonly Queue<VsockHeader> _control = new();
    private readonly Queue<VsockConnection> _readable = new();
    /// <summary>Replies waiting for receive buffers at most; the transmit queue pauses beyond (two rings' worth).</summary>
    private int MaxControl => 2 * _rxQueue.Size;

    private DescriptorChain? _spare;
    private bool _rxStarved;
    private bool _rxBroken;
    private bool _txPaused;
    private bool _rxAdded;

    /// <summary>The guest posted receive buffers (or something else may now be sent): deliver what is waiting.</summary>
    internal void OnRxNotify()
    {
        if (_rxStarved)
        {
            _rxStarved = false;
            foreach (var conn in _connections.Values)
            {
                ResumeInput(conn);
            }
        }

        ProcessRx();
    }

    private void ProcessRx()
    {
        _rxAdded = false;
        while (!_rxBroken && (_control.Count > 0 || _readable.Count > 0))
        {
            if (TakeChain() is not { } chain)
            {
                Starve();
                break;
            }

            if (_control.TryDequeue(out var control))
            {
                Deliver(chain, control, 0);
                continue;
            }

            var conn = _readable.Dequeue();
            _spare = chain; // given back unless this connection sends something
            if (conn.Closed || conn.State != VsockState.Established)
            {
                continue;
            }

            var room = Math.Min(Math.Min(chain.WritableLength - (uint)Math.Min(chain.WritableLength, VsockHeader.Size), conn.PeerCredit), MaxPayload);
            if (room == 0)
            {
                if (conn.PeerCredit == 0)
                {
                    StopInput(conn); // resumed by the guest's credit update
                    SendControl(conn, VsockOp.CreditRequest);
                }
                else
                {
                    _spare = null; // a receive buffer too small for a header: handed back empty
                    _metrics.Errors.Increment();
                    _rxQueue.AddUsed(chain.Head, 0);
                    _rxAdded = true;
                    _readable.Enqueue(conn);
                }

                continue;
            }

            var n = conn.Socket.Receive(_packet.AsSpan(VsockHeader.Size, (int)room), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                continue; // drained: epoll brings it back
            }

            if (error != SocketError.Success || n == 0)
            {
                HostClosed(conn);
                continue;
            }

            _spare = null;
            _metrics.RxBytes.Add(n);
            Deliver(chain, Header(conn, VsockOp.Rw, (uint)n, 0), n);
            conn.SentCount += (uint)n;
            conn.ReportedForwardCount = conn.ForwardCount;
            _readable.Enqueue(conn); // more may wait; the others get their turn first
        }

        if (_rxAdded && _rxQueue.NeedsNotification())
        {
            _interrupt.SignalUsedBuffer(_rxIndex);
        }

        if (_txPaused && _control.Count <= MaxControl / 2)
        {
            // Replies drained: the guest's packets are read again (posted, so this does not nest in a transmit drain).
            _txPaused = false;
            _loop.Post(() => TxQueue?.Resume());
        }
    }

    /// <summary>The spare chain, or the next valid one from the receive queue; null when the guest has none.</summary>
    private DescriptorChain? TakeChain()
    {
        if (_spare is { } spare)
        {
            _spare = null;
            return spare;
        }

        while (true)
        {
            var popped = _rxQueue.TryPopValid(out var chain, out var rejected, out var lost);
            _metrics.Errors.Add(rejected + lost);
            _rxAdded |= rejected > 0;
            if (popped)
            {
                return chain;
            }

            if (_rxQueue.IsBroken)
            {
                _rxBroken = true;
                _metrics.AddBrokenQueue();
                return null;
            }

            // None now: ask to be told, and look once more in case the guest posted meanwhile.
            if (!_rxQueue.EnableNotification())
            {
                return null;
            }
        }
    }

    private void Deliver(DescriptorChain chain, VsockHeader header, int payload)
    {
        header.Write(_packet);
        var written = chain.CopyTo(_memory, _packet.AsSpan(0, VsockHeader.Size + payload), 0);
        _metrics.RxPackets.Increment();
        _rxQueue.AddUsed(chain.Head, (uint)written);
        _rxAdded = true;
    }

    /// <summary>No receive buffer: stop watching host input until the guest posts some.</summary>
    private void Starve()
    {
        _rxStarved = true;
        foreach (var conn in _connections.Values)
        {
            StopInput(conn);
        }
    }

    private void StopInput(VsockConnection conn) => Watch(conn, input: false, conn.WatchingOutput);

    /// <summary>Watches the host socket for input again if the guest can take data from it.</summary>
    private void ResumeInput(VsockConnection conn)
    {
        if (!_rxStarved && conn.State == VsockState.Established && !conn.HostDoneSending && conn.PeerCredit > 0)
        {
            Watch(conn, input: true, conn.WatchingOutput);
        }
    }

    private void Watch(VsockConnection conn, bool input, bool output)
    {
        if (conn.Closed || (conn.WatchingInput == input && conn.WatchingOutput == output))
        {
            return;
        }

        conn.WatchingInput = input;
        conn.WatchingOutput = output;
        _loop.Modify(conn.Socket.SafeHandle, (input ? Interop.Events.Epoll.In | Interop.Events.Epoll.PeerHangup : 0) | (output ? Interop.Events.Epoll.Out : 0));
    }
}
