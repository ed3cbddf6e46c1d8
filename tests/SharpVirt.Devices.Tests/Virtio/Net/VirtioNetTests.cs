using System.Buffers.Binary;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio.Net;
using SharpVirt.Interop.Net;
using static SharpVirt.Devices.Tests.Virtio.Net.NetTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Net;

/// <summary>virtio-net with well-behaved drivers: identity, offload negotiation, transmit and receive.</summary>
public sealed class VirtioNetTests : IDisposable
{
    private readonly NetTestRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void Identity_features_config_and_queues()
    {
        var device = _rig.Device;
        Assert.Equal(1u, device.DeviceType);
        Assert.Equal([(ushort)256, (ushort)256], device.QueueMaxSizes);
        foreach (var bit in new[] { 0, 1, 5, 7, 8, 11, 12, 15, 16, 28, 29, 32 })
        {
            Assert.True((device.AvailableFeatures & (1UL << bit)) != 0, $"feature bit {bit} is not offered");
        }

        Assert.Equal(0UL, device.AvailableFeatures & ((1UL << 10) | (1UL << 14) | (1UL << 22))); // no UFO, no MQ
        var config = new byte[12];
        device.ReadConfig(0, config);
        Assert.Equal(MacAddress, config[..6]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(6))); // VIRTIO_NET_S_LINK_UP
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(8)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(10)));
        device.WriteConfig(0, [1, 2, 3, 4, 5, 6]);
        device.ReadConfig(0, config);
        Assert.Equal(MacAddress, config[..6]);
    }

    [Fact]
    public void The_tap_is_given_the_offloads_the_driver_accepted_and_none_after_a_reset()
    {
        Assert.Equal(TunAbi.TUN_F_CSUM | TunAbi.TUN_F_TSO4 | TunAbi.TUN_F_TSO6, VirtioNet.OffloadFor(
            (1UL << VirtioNet.FeatureGuestCsum) | (1UL << VirtioNet.FeatureGuestTso4) | (1UL << VirtioNet.FeatureGuestTso6)));
        Assert.Equal(0u, VirtioNet.OffloadFor(1UL << VirtioNet.FeatureGuestTso4)); // TSO without CSUM means nothing
        Assert.Equal(TunAbi.TUN_F_CSUM, VirtioNet.OffloadFor(1UL << VirtioNet.FeatureGuestCsum));

        _rig.Activate(GuestOffloads);
        Assert.Equal(TunAbi.TUN_F_CSUM | TunAbi.TUN_F_TSO4 | TunAbi.TUN_F_TSO6, _rig.Device.BackendOffload);
        _rig.Device.Reset();
        Assert.Equal([TunAbi.TUN_F_CSUM | TunAbi.TUN_F_TSO4 | TunAbi.TUN_F_TSO6, 0u], _rig.Backend.Offloads);
    }

    [Fact]
    public void A_transmitted_frame_reaches_the_host_whole_with_its_header()
    {
        _rig.Activate();
        var frame = Frame(1500, 1, flags: 1);
        // Header and payload in separate descriptors, and the payload split: any layout is allowed.
        _rig.Memory.Write(TxBuffers, frame.AsSpan(0, 12));
        _rig.Memory.Write(TxBuffers + 0x100, frame.AsSpan(12, 700));
        _rig.Memory.Write(TxBuffers + 0x1000, frame.AsSpan(712));
        var head = _rig.Tx.AddChain((TxBuffers, 12, false), (TxBuffers + 0x100, 700, false), (TxBuffers + 0x1000, 800, false));
        _rig.Device.QueueNotify(1);

        Assert.Equal(frame, _rig.Backend.HostReceive());
        _rig.WaitForTxUsed(1);
        Assert.Equal((head, 0u), _rig.Tx.ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.TxPackets.Value == 1));
        Assert.Equal(1500, _rig.Device.Metrics.TxBytes.Value);
        Assert.True(RngTestRig.WaitFor(() => _rig.Interrupt.LastQueue == 1)); // signalled just after used.idx moves
    }

    [Fact]
    public void A_received_frame_fills_one_buffer_with_num_buffers_one()
    {
        _rig.Activate();
        _rig.PostRxBuffers(1, 2048);
        var frame = Frame(100, 2);
        frame[10] = 0xaa; // whatever the tap left in num_buffers is overwritten
        _rig.Backend.HostSend(frame);

        _rig.WaitForRxUsed(1);
        Assert.Equal((0u, 112u), _rig.Rx.ReadUsed(0));
        var received = _rig.ReadGuest(RxBuffers, 112);
        Assert.Equal(1, NumBuffers(received));
        Assert.Equal(frame[12..], received[12..]);
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.RxPackets.Value == 1));
        Assert.True(RngTestRig.WaitFor(() => _rig.Interrupt.LastQueue == 0));
    }

    [Fact]
    public void With_mergeable_buffers_a_large_frame_spans_several_and_says_how_many()
    {
        _rig.Activate(Mergeable);
        _rig.PostRxBuffers(4, 1024);
        var frame = Frame(2500 - 12, 3);
        _rig.Backend.HostSend(frame);

        _rig.WaitForRxUsed(3);
        Assert.Equal([1024u, 1024u, 452u], Enumerable.Range(0, 3).Select(i => _rig.Rx.ReadUsed(i).Length));
        var first = _rig.ReadGuest(RxBuffers, 1024);
        Assert.Equal(3, NumBuffers(first));
        var received = first.Concat(_rig.ReadGuest(RxBuffers + 0x1000, 1024)).Concat(_rig.ReadGuest(RxBuffers + 0x2000, 452)).ToArray();
        Assert.Equal(frame[12..], received[12..]);

        // The fourth buffer is still the driver's: the next frame lands there.
        _rig.Backend.HostSend(Frame(50, 4));
        _rig.WaitForRxUsed(4);
        Assert.Equal((3u, 62u), _rig.Rx.ReadUsed(3));
    }

    [Fact]
    public void A_frame_that_arrives_before_any_buffer_waits_and_is_delivered_when_buffers_come()
    {
        _rig.Activate(Mergeable);
        var frame = Frame(3000, 5);
        _rig.Backend.HostSend(frame);
        Thread.Sleep(100);
        Assert.Equal(0, _rig.Rx.UsedIdx);

        _rig.PostRxBuffers(1, 1024); // not enough room yet: held, nothing returned
        Thread.Sleep(100);
        Assert.Equal(0, _rig.Rx.UsedIdx);
        _rig.PostRxBuffers(3, 1024);

        _rig.WaitForRxUsed(3);
        Assert.Equal(3, NumBuffers(_rig.ReadGuest(RxBuffers, 12)));
        Assert.Equal(1, _rig.Device.Metrics.RxPackets.Value);
        Assert.Equal(0, _rig.Device.Metrics.RxDropped.Value);
    }

    [Fact]
    public void Without_mergeable_buffers_a_frame_too_big_for_the_buffer_is_dropped_and_the_buffer_kept()
    {
        _rig.Activate();
        _rig.PostRxBuffers(1, 1024);
        _rig.Backend.HostSend(Frame(2000, 6));
        _rig.Backend.HostSend(Frame(100, 7));

        _rig.WaitForRxUsed(1);
        Assert.Equal((0u, 112u), _rig.Rx.ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.RxDropped.Value == 1));
        Assert.Equal(1, _rig.Device.Metrics.RxPackets.Value);
    }

    [Fact]
    public void Many_frames_both_ways_are_all_carried_in_order()
    {
        _rig.Activate(Mergeable);
        const int count = 200;
        var received = 0;
        var sent = 0;
        for (var i = 0; i < count; i++)
        {
            if (_rig.Rx.UsedIdx - received < 1)
            {
                _rig.PostRxBuffers(1, 2048);
            }

            _rig.Backend.HostSend(Frame(64 + i, i));
            _rig.WaitForRxUsed(++received);
            Assert.Equal(Frame(64 + i, i)[12..], _rig.ReadGuest(RxBuffers + ((ulong)(received - 1) % 16 * 0x1000) + 12, 64 + i));

            var frame = Frame(60 + i, 1000 + i);
            var at = TxBuffers + ((ulong)(i % 8) * 0x1000);
            _rig.Memory.Write(at, frame);
            _rig.Tx.AddChain((at, (uint)frame.Length, false));
            _rig.Device.QueueNotify(1);
            Assert.Equal(frame, _rig.Backend.HostReceive());
            _rig.WaitForTxUsed(++sent);
        }

        Assert.Equal(count, _rig.Device.Metrics.RxPackets.Value);
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.TxPackets.Value == count));
        Assert.Equal(0, _rig.Device.Metrics.Errors.Value);
    }
}
