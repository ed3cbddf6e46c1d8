using System.Diagnostics;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Rng;

namespace SharpVirt.Devices.Tests.Virtio.Rng;

/// <summary>The entropy device serving well-formed requests.</summary>
public sealed class VirtioRngTests : IDisposable
{
    private const ulong Data = MockQueue.DataArea;
    private readonly RngTestRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void Identity_features_and_queues()
    {
        var device = _rig.Device;
        Assert.Equal(4u, device.DeviceType);
        Assert.Equal(RngTestRig.AllFeatures, device.AvailableFeatures);
        Assert.Equal([(ushort)256], device.QueueMaxSizes);
        Assert.False(device.IsActive);
    }

    [Fact]
    public void Config_space_reads_zero_and_ignores_writes()
    {
        _rig.Device.WriteConfig(0, [1, 2, 3, 4]);
        var data = new byte[8];
        Array.Fill(data, (byte)0xff);
        _rig.Device.ReadConfig(0, data);
        Assert.All(data, b => Assert.Equal(0, b));
        _rig.Device.ReadConfig(uint.MaxValue, data);
        Assert.All(data, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Single_request_gets_exactly_the_injected_bytes()
    {
        _rig.Activate();
        var head = _rig.Driver.AddChain((Data, 16, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        Assert.Equal((head, 16u), _rig.Driver.ReadUsed(0));
        Assert.Equal(CountingSource.Expected(0, 16), _rig.ReadGuest(Data, 16));
        Assert.Equal(0, _rig.ReadGuest(Data + 16, 1)[0]);
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Requests.Value == 1));
        Assert.Equal(16, _rig.Device.Metrics.BytesServed.Value);
        Assert.Equal(0, _rig.Device.Metrics.Errors.Value);
    }

    [Fact]
    public void Several_requests_in_one_notify_are_all_served()
    {
        _rig.Activate();
        var a = _rig.Driver.AddChain((Data, 8, true));
        var b = _rig.Driver.AddChain((Data + 0x100, 32, true));
        var c = _rig.Driver.AddChain((Data + 0x200, 1, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(3);
        Assert.Equal((a, 8u), _rig.Driver.ReadUsed(0));
        Assert.Equal((b, 32u), _rig.Driver.ReadUsed(1));
        Assert.Equal((c, 1u), _rig.Driver.ReadUsed(2));
        Assert.Equal(CountingSource.Expected(0, 8), _rig.ReadGuest(Data, 8));
        Assert.Equal(CountingSource.Expected(8, 32), _rig.ReadGuest(Data + 0x100, 32));
        Assert.Equal(CountingSource.Expected(40, 1), _rig.ReadGuest(Data + 0x200, 1));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Requests.Value == 3));
        Assert.Equal(41, _rig.Device.Metrics.BytesServed.Value);
    }

    [Fact]
    public void Readable_part_is_skipped_and_writable_buffers_are_filled_in_order()
    {
        _rig.Activate();
        _rig.Memory.Write(Data, new byte[] { 0xaa, 0xbb, 0xcc, 0xdd });
        var head = _rig.Driver.AddChain((Data, 4, false), (Data + 0x100, 3, true), (Data + 0x200, 5, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        Assert.Equal((head, 8u), _rig.Driver.ReadUsed(0));
        Assert.Equal(new byte[] { 0xaa, 0xbb, 0xcc, 0xdd }, _rig.ReadGuest(Data, 4));
        var expected = CountingSource.Expected(0, 8);
        Assert.Equal(expected[..3], _rig.ReadGuest(Data + 0x100, 3));
        Assert.Equal(expected[3..], _rig.ReadGuest(Data + 0x200, 5));
    }

    [Fact]
    public void Request_larger_than_64_KiB_gets_64_KiB()
    {
        const ulong big = 0x20000;
        const int size = 128 * 1024;
        _rig.Memory.Write(big + VirtioRng.MaxRequestBytes, (byte)0xee);
        _rig.Activate();
        var head = _rig.Driver.AddChain((big, size, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        Assert.Equal((head, (uint)VirtioRng.MaxRequestBytes), _rig.Driver.ReadUsed(0));
        Assert.Equal(CountingSource.Expected(0, VirtioRng.MaxRequestBytes), _rig.ReadGuest(big, VirtioRng.MaxRequestBytes));
        Assert.Equal(0xee, _rig.ReadGuest(big + VirtioRng.MaxRequestBytes, 1)[0]);
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.BytesServed.Value == VirtioRng.MaxRequestBytes));
    }

    [Fact]
    public void Interrupt_is_signalled_on_queue_zero()
    {
        _rig.Activate();
        _rig.Driver.AddChain((Data, 16, true));
        _rig.Device.QueueNotify(0);

        Assert.True(RngTestRig.WaitFor(() => _rig.Interrupt.UsedBufferSignals >= 1));
        Assert.Equal(0, _rig.Interrupt.LastQueue);
        Assert.Equal(0, _rig.Interrupt.ConfigChanges);
    }

    [Fact]
    public void No_interrupt_when_the_driver_suppresses_it()
    {
        _rig.Driver.SetAvailFlags(1); // VIRTQ_AVAIL_F_NO_INTERRUPT
        _rig.Activate();
        _rig.Driver.AddChain((Data, 16, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        _rig.Device.Reset(); // joins the worker: whatever it was going to signal, it has
        Assert.Equal(0, _rig.Interrupt.UsedBufferSignals);
    }

    [Fact]
    public void Event_idx_updates_avail_event_and_signals_once_per_batch()
    {
        _rig.Driver.SetUsedEvent(0);
        _rig.Activate(RngTestRig.AllFeatures);
        _rig.Driver.AddChain((Data, 4, true));
        _rig.Driver.AddChain((Data + 0x100, 4, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(2);
        Assert.True(RngTestRig.WaitFor(() => _rig.Driver.AvailEvent == 2));
        _rig.Device.Reset();
        Assert.Equal(1, _rig.Interrupt.UsedBufferSignals);
    }

    [Fact]
    public void Indirect_chain_is_served_when_negotiated()
    {
        _rig.Activate(RngTestRig.AllFeatures);
        var head = _rig.Driver.AddIndirect(Data + 0x1000, (Data, 10, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        Assert.Equal((head, 10u), _rig.Driver.ReadUsed(0));
        Assert.Equal(CountingSource.Expected(0, 10), _rig.ReadGuest(Data, 10));
    }

    [Fact]
    public void Buffers_published_before_activation_are_served_without_a_notify()
    {
        _rig.Driver.AddChain((Data, 16, true));
        _rig.Activate();
        _rig.WaitForUsed(1);
    }

    [Fact]
    public void Work_runs_on_the_named_worker_thread()
    {
        string? threadName = null;
        using var rig = new RngTestRig(span =>
        {
            threadName = Thread.CurrentThread.Name;
            span.Fill(7);
        });
        rig.Activate();
        rig.Driver.AddChain((Data, 4, true));
        rig.Device.QueueNotify(0);

        rig.WaitForUsed(1);
        Assert.Equal("virtio-rng", threadName);
        Assert.Equal(new byte[] { 7, 7, 7, 7 }, rig.ReadGuest(Data, 4));
    }

    [Fact]
    public void QueueNotify_returns_at_once_while_the_source_is_slow()
    {
        using var rig = new RngTestRig(span =>
        {
            Thread.Sleep(200);
            span.Fill(1);
        });
        rig.Activate();
        rig.Driver.AddChain((Data, 16, true));
        rig.Driver.AddChain((Data + 0x100, 16, true));

        var clock = Stopwatch.StartNew();
        rig.Device.QueueNotify(0);
        rig.Device.QueueNotify(0);
        rig.Device.QueueNotify(0);
        clock.Stop();

        Assert.True(clock.ElapsedMilliseconds < 50, $"QueueNotify took {clock.ElapsedMilliseconds} ms");
        rig.WaitForUsed(2);
    }
}
