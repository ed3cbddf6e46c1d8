using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using SharpVirt.Devices.Tests.Virtio.Rng;
using static SharpVirt.Devices.Tests.Virtio.Vsock.VsockTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Vsock;

/// <summary>virtio-vsock with a well-behaved guest: both directions of connection, data, credit, and closing.</summary>
public sealed class VirtioVsockTests : IDisposable
{
    private readonly VsockTestRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void Identity_and_the_guest_cid_in_the_configuration()
    {
        Assert.Equal(19u, _rig.Device.DeviceType);
        Assert.Equal(3, _rig.Device.QueueMaxSizes.Count);
        var config = new byte[8];
        _rig.Device.ReadConfig(0, config);
        Assert.Equal(3UL, BinaryPrimitives.ReadUInt64LittleEndian(config));
        Assert.True(File.Exists(_rig.UdsPath));
    }

    [Fact]
    public void A_host_program_connects_to_a_guest_port_exchanges_data_and_closes()
    {
        _rig.PostRx(8);
        using var host = _rig.ConnectHost();
        host.Send("CONNECT 5000\n"u8);

        var request = _rig.Receive();
        Assert.Equal((2UL, 3UL, 5000u, Request), (request.SrcCid, request.DstCid, request.DstPort, request.Op));
        Assert.True(request.SrcPort >= 1u << 30, $"host port {request.SrcPort}");
        Assert.Equal(256u * 1024, request.BufAlloc);

        _rig.Send(Response, srcPort: 5000, dstPort: request.SrcPort);
        Assert.Equal($"OK {request.SrcPort}", ReadLine(host));
        Assert.Equal(1, _rig.Device.Metrics.ConnectionsOpened.Value);

        host.Send("ping"u8);
        var data = _rig.Receive();
        Assert.Equal((Rw, "ping", 5000u), (data.Op, data.Text, data.DstPort));

        _rig.Send(Rw, 5000, request.SrcPort, "pong"u8.ToArray());
        Assert.Equal("pong", Encoding.ASCII.GetString(ReadExactly(host, 4)));

        host.Close();
        var shutdown = _rig.Receive();
        Assert.Equal((Shutdown, 3u), (shutdown.Op, shutdown.Flags));
        _rig.Send(Rst, 5000, request.SrcPort);
        Assert.True(_rig.Quiet());
    }

    [Fact]
    public void A_guest_connects_to_a_host_listener_on_uds_path_port()
    {
        _rig.PostRx(8);
        using var listener = _rig.ListenHost(1234);
        _rig.Send(Request, srcPort: 40000, dstPort: 1234);

        var response = _rig.Receive();
        Assert.Equal((Response, 1234u, 40000u), (response.Op, response.SrcPort, response.DstPort));
        using var host = listener.Accept();
        host.ReceiveTimeout = 5000;

        _rig.Send(Rw, 40000, 1234, "hello host"u8.ToArray());
        Assert.Equal("hello host", Encoding.ASCII.GetString(ReadExactly(host, 10)));
        host.Send("hello guest"u8);
        Assert.Equal("hello guest", _rig.Receive().Text);

        // The guest closes: the host reads end of input, and the guest gets its reset.
        _rig.Send(Shutdown, 40000, 1234, flags: 3);
        Assert.Equal(Rst, _rig.Receive().Op);
        Assert.Equal(0, host.Receive(new byte[10]));
    }

    [Fact]
    public void A_guest_connecting_where_nobody_listens_is_reset()
    {
        _rig.PostRx(2);
        _rig.Send(Request, 40001, 9999);
        var rst = _rig.Receive();
        Assert.Equal((Rst, 9999u, 40001u), (rst.Op, rst.SrcPort, rst.DstPort));
        Assert.Equal(1, _rig.Device.Metrics.ConnectionsRefused.Value);
    }

    [Fact]
    public void The_device_never_sends_more_than_the_guest_credit_allows()
    {
        _rig.PostRx(8);
        using var listener = _rig.ListenHost(77);
        _rig.Send(Request, 40002, 77, bufAlloc: 1000);
        Assert.Equal(Response, _rig.Receive().Op);
        using var host = listener.Accept();
        host.Send(new byte[3000]);

        var first = _rig.Receive();
        Assert.Equal(1000, first.Payload.Length); // buf_alloc 1000, nothing consumed yet
        var next = _rig.Receive();
        Assert.Equal(CreditRequest, next.Op);
        Assert.True(_rig.Quiet());

        _rig.Send(CreditUpdate, 40002, 77, bufAlloc: 1000, fwdCnt: 1000);
        Assert.Equal(1000, _rig.Receive().Payload.Length);
    }

    [Fact]
    public void Guest_data_beyond_a_slow_host_reader_is_buffered_and_credit_is_returned_as_it_drains()
    {
        _rig.PostRx(16);
        using var listener = _rig.ListenHost(88);
        _rig.Send(Request, 40003, 88);
        Assert.Equal(Response, _rig.Receive().Op);
        using var host = listener.Accept();
        host.ReceiveTimeout = 5000;

        var sent = new List<byte>();
        for (var i = 0; i < 64; i++)
        {
            var chunk = Enumerable.Repeat((byte)i, 4096).ToArray();
            sent.AddRange(chunk);
            _rig.Send(Rw, 40003, 88, chunk);
            Assert.True(RngTestRig.WaitFor(() => _rig.Tx.UsedIdx == i + 2));
        }

        Assert.Equal([.. sent], ReadExactly(host, sent.Count));
        // 256 KiB went through: the device told the guest about the freed space at least once.
        Assert.Contains(Enumerable.Range(0, 4).Select(_ => _rig.Receive()), p => p.Op == CreditUpdate && p.FwdCnt >= 128 * 1024);
    }
}
