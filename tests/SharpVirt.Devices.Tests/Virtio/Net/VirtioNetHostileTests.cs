using System.Diagnostics;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio.Net;
using SharpVirt.Devices.Virtio.Queue;
using static SharpVirt.Devices.Tests.Virtio.Net.NetTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Net;

/// <summary>virtio-net against malformed chains and queues, and its rate limits.</summary>
public sealed class VirtioNetHostileTests : IDisposable
{
    private readonly NetTestRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Theory]
    [InlineData(0u)]
    [InlineData(11u)] // shorter than the virtio-net header
    [InlineData((uint)VirtioNet.MaxFrameBytes + 1)] // longer than any frame
    public void A_transmit_chain_of_a_bad_length_is_answered_empty_and_nothing_is_sent(uint length)
    {
        _rig.Activate();
        var head = length == 0
            ? _rig.Tx.AddChain((TxBuffers, 16, true)) // only a writable buffer: nothing to send
            : _rig.Tx.AddChain((TxBuffers, length, false));
        _rig.Device.QueueNotify(1);

        _rig.WaitForTxUsed(1);
        Assert.Equal((head, 0u), _rig.Tx.ReadUsed(0));
        Assert.Null(_rig.Backend.HostReceive(100));
        Assert.Equal(1, _rig.Device.Metrics.Errors.Value);
    }

    [Fact]
    public void A_transmit_descriptor_loop_is_answered_and_the_next_frame_still_goes_out()
    {
        _rig.Activate();
        _rig.Tx.WriteDescriptor(MockQueue.DescriptorTable + MockQueue.SecondQueueOffset, 0, TxBuffers, 64, VirtqLayout.DescNext, 1);
        _rig.Tx.WriteDescriptor(MockQueue.DescriptorTable + MockQueue.SecondQueueOffset, 1, TxBuffers, 64, VirtqLayout.DescNext, 0);
        _rig.Tx.Publish(0);
        var frame = Frame(100, 9);
        _rig.Memory.Write(TxBuffers + 0x1000, frame);
        _rig.Tx.WriteDescriptor(MockQueue.DescriptorTable + MockQueue.SecondQueueOffset, 2, TxBuffers + 0x1000, (uint)frame.Length, 0, 0);
        _rig.Tx.Publish(2);
        _rig.Device.QueueNotify(1);

        Assert.Equal(frame, _rig.Backend.HostReceive());
        _rig.WaitForTxUsed(2);
        Assert.Equal((0u, 0u), _rig.Tx.ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
    }

    [Fact]
    public void Receive_buffers_too_small_for_a_header_or_read_only_are_handed_back_empty()
    {
        _rig.Activate();
        _rig.Rx.AddChain((RxBuffers, 8, true));
        _rig.Rx.AddChain((RxBuffers + 0x1000, 64, false));
        _rig.Rx.AddChain((RxBuffers + 0x2000, 2048, true));
        _rig.Device.QueueNotify(0);
        var frame = Frame(40, 10);
        _rig.Backend.HostSend(frame);

        _rig.WaitForRxUsed(3);
        Assert.Equal((0u, 0u), _rig.Rx.ReadUsed(0));
        Assert.Equal((1u, 0u), _rig.Rx.ReadUsed(1));
        Assert.Equal((2u, 52u), _rig.Rx.ReadUsed(2));
        Assert.Equal(frame[12..], _rig.ReadGuest(RxBuffers + 0x2000 + 12, 40));
        Assert.Equal(2, _rig.Device.Metrics.Errors.Value);
    }

    [Fact]
    public void A_receive_buffer_outside_guest_memory_is_rejected_without_touching_the_host()
    {
        _rig.Activate();
        _rig.Rx.AddChain((MockQueue.MemorySize - 100, 4096, true)); // runs off the end of guest RAM
        _rig.Rx.AddChain((RxBuffers, 2048, true));
        _rig.Device.QueueNotify(0);
        _rig.Backend.HostSend(Frame(30, 11));

        _rig.WaitForRxUsed(2);
        Assert.Equal((0u, 0u), _rig.Rx.ReadUsed(0));
        Assert.Equal((1u, 42u), _rig.Rx.ReadUsed(1));
        Assert.Equal(1, _rig.Device.Metrics.Errors.Value);
    }

    [Fact]
    public void A_broken_receive_queue_stops_receiving_but_transmit_keeps_working()
    {
        _rig.Activate();
        _rig.Rx.SetAvailIdx(1000); // more than the queue size ahead: the ring is corrupt
        _rig.Device.QueueNotify(0);
        _rig.Backend.HostSend(Frame(30, 12));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.BrokenQueues.Value == 1));

        var frame = Frame(70, 13);
        _rig.Memory.Write(TxBuffers, frame);
        _rig.Tx.AddChain((TxBuffers, (uint)frame.Length, false));
        _rig.Device.QueueNotify(1);
        Assert.Equal(frame, _rig.Backend.HostReceive());
        Assert.Equal(0, _rig.Rx.UsedIdx);
    }

    [Fact]
    public void The_transmit_rate_limit_holds_frames_back_and_loses_none()
    {
        using var rig = new NetTestRig(tx: new RateLimiter(null, new TokenBucket(2, TimeSpan.FromMilliseconds(300))));
        rig.Activate();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            var frame = Frame(60, 20 + i);
            rig.Memory.Write(TxBuffers + ((ulong)i * 0x1000), frame);
            rig.Tx.AddChain((TxBuffers + ((ulong)i * 0x1000), (uint)frame.Length, false));
        }

        rig.Device.QueueNotify(1);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Frame(60, 20 + i), rig.Backend.HostReceive());
        }

        Assert.True(clock.ElapsedMilliseconds >= 400, $"five frames took {clock.ElapsedMilliseconds} ms");
        Assert.True(rig.Device.Metrics.TxThrottles.Value >= 2);
    }

    [Fact]
    public void The_receive_rate_limit_counts_bytes()
    {
        using var rig = new NetTestRig(rx: new RateLimiter(new TokenBucket(1000, TimeSpan.FromMilliseconds(200)), null));
        rig.Activate();
        rig.PostRxBuffers(4, 2048);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 4; i++)
        {
            rig.Backend.HostSend(Frame(1000, 30 + i));
        }

        rig.WaitForRxUsed(4);
        Assert.True(clock.ElapsedMilliseconds >= 500, $"4000 bytes at 5000/s took {clock.ElapsedMilliseconds} ms");
        Assert.True(rig.Device.Metrics.RxThrottles.Value >= 3);
        Assert.Equal(4000, rig.Device.Metrics.RxBytes.Value);
    }
}
