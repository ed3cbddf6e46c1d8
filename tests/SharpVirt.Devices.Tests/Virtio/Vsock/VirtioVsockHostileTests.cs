using System.Net.Sockets;
using SharpVirt.Devices.Tests.Virtio.Rng;
using static SharpVirt.Devices.Tests.Virtio.Vsock.VsockTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Vsock;

/// <summary>virtio-vsock against malformed packets, lying guests and misbehaving host programs.</summary>
public sealed class VirtioVsockHostileTests : IDisposable
{
    private readonly VsockTestRig _rig = new();

    public void Dispose() => _rig.Dispose();

    /// <summary>End of input, or a reset (the device closed with bytes of ours still unread).</summary>
    private static bool Closed(Socket socket)
    {
        try
        {
            return socket.Receive(new byte[16]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    [Fact]
    public void Short_packets_lying_lengths_and_wrong_addresses_are_dropped_and_counted()
    {
        _rig.PostRx(4);
        _rig.Tx.AddChain((MockQueue.DataArea + 0x20000, 20, false)); // shorter than a header
        _rig.Device.QueueNotify(1);
        _rig.Send(Request, 1, 2, length: 100); // says 100 bytes, carries none
        _rig.Send(Request, 1, 2, length: 1U << 30);
        _rig.Send(Request, 1, 2, srcCid: 7); // not this guest
        _rig.Send(Request, 1, 2, dstCid: 5); // not the host

        Assert.True(RngTestRig.WaitFor(() => _rig.Tx.UsedIdx == 5));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 5));
        Assert.True(_rig.Quiet());
    }

    [Fact]
    public void Packets_for_no_connection_and_unknown_types_are_answered_with_a_reset()
    {
        _rig.PostRx(4);
        _rig.Send(Rw, 40000, 1234, "data"u8.ToArray());
        Assert.Equal(Rst, _rig.Receive().Op);
        _rig.Send(Request, 40000, 1234, type: 2); // SEQPACKET is not offered
        Assert.Equal(Rst, _rig.Receive().Op);
        _rig.Send(Rst, 40000, 1234); // a reset for nothing is not answered
        Assert.True(_rig.Quiet());
    }

    [Fact]
    public void A_guest_that_ignores_the_credit_is_reset()
    {
        _rig.PostRx(4);
        using var listener = _rig.ListenHost(99);
        _rig.Send(Request, 40005, 99);
        Assert.Equal(Response, _rig.Receive().Op);
        using var host = listener.Accept(); // it never reads: everything stays in the device's 256 KiB

        for (var i = 0; i < 80 && !(_rig.Device.Metrics.Resets.Value > 0); i++)
        {
            _rig.Send(Rw, 40005, 99, new byte[8192]);
            Assert.True(RngTestRig.WaitFor(() => _rig.Tx.UsedIdx == i + 2));
        }

        Assert.Equal(1, _rig.Device.Metrics.Resets.Value);
        Assert.True(_rig.Device.Metrics.Errors.Value >= 1);
        Assert.Contains(Enumerable.Range(0, 2).Select(_ => _rig.Receive()), p => p.Op == Rst);
    }

    [Theory]
    [InlineData("HELLO 5000\n")]
    [InlineData("CONNECT -1\n")]
    [InlineData("CONNECT 5000 6000\n")]
    [InlineData("CONNECT 123456789012345678901234567890\n")]
    public void A_bad_connect_line_closes_the_host_socket(string line)
    {
        _rig.PostRx(2);
        using var host = _rig.ConnectHost();
        host.Send(System.Text.Encoding.ASCII.GetBytes(line));
        Assert.True(Closed(host), "the host socket was not closed"); // nothing said
        Assert.True(_rig.Quiet());
        Assert.Equal(1, _rig.Device.Metrics.ConnectionsRefused.Value);
    }

    [Fact]
    public void A_host_program_that_never_says_connect_and_a_guest_that_never_answers_time_out()
    {
        _rig.PostRx(4);
        using var silent = _rig.ConnectHost();
        using var host = _rig.ConnectHost();
        host.Send("CONNECT 6000\n"u8);
        var request = _rig.Receive();
        Assert.Equal(Request, request.Op);

        Assert.True(Closed(silent)); // closed after the handshake timeout
        Assert.True(Closed(host));
        Assert.Equal(Rst, _rig.Receive().Op); // and the guest is told to forget the request
        Assert.Equal(2, _rig.Device.Metrics.ConnectionsRefused.Value);
    }

    [Fact]
    public void A_guest_that_sends_faster_than_it_takes_the_replies_is_paused_not_buffered_without_bound()
    {
        // No receive buffers: every packet for no connection needs a reset the guest cannot take yet. After two rings'
        // worth of waiting replies (the rig's rx ring has 16 entries) the device stops reading transmit packets.
        for (var i = 0; i < 40; i++)
        {
            // A device that is merely slow (a loaded host) gets a second to catch up; one that stays behind stopped.
            var deadline = DateTime.UtcNow.AddSeconds(1);
            while (_rig.Tx.UsedIdx < i - 1 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }

            if (_rig.Tx.UsedIdx < i - 1)
            {
                break; // the device stopped taking packets
            }

            _rig.Send(Rw, 40000 + (uint)i, 1234, "x"u8.ToArray());
            Thread.Sleep(5);
        }

        Assert.True(RngTestRig.WaitFor(() => _rig.Tx.UsedIdx == 32));
        Thread.Sleep(200);
        Assert.Equal(32, _rig.Tx.UsedIdx); // paused: nothing more read while the replies wait

        _rig.PostRx(16);
        Assert.True(RngTestRig.WaitFor(() => _rig.Tx.UsedIdx > 32), "transmit did not resume after the replies drained");
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(Rst, _rig.Receive().Op);
        }
    }
}
