using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Rng;

namespace SharpVirt.Devices.Tests.Virtio.Rng;

/// <summary>Reset, re-activation, disposal, and a hostile driver.</summary>
public sealed class VirtioRngLifecycleTests : IDisposable
{
    private const ulong Data = MockQueue.DataArea;
    private readonly RngTestRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void Notify_before_activation_and_after_reset_is_harmless()
    {
        _rig.Device.QueueNotify(0);
        _rig.Device.QueueNotify(5);
        _rig.Device.Reset();
        _rig.Device.QueueNotify(0);
        Assert.False(_rig.Device.IsActive);
    }

    [Fact]
    public void Reset_then_activate_again_serves_the_new_queue()
    {
        _rig.Activate();
        _rig.Driver.AddChain((Data, 16, true));
        _rig.Device.QueueNotify(0);
        _rig.WaitForUsed(1);

        _rig.Device.Reset();
        Assert.False(_rig.Device.IsActive);

        // The driver sets the device up again from scratch, in fresh rings.
        _rig.Memory.Clear(MockQueue.DescriptorTable, 0x8000);
        var driver = new MockQueue(_rig.Memory);
        _rig.Device.Activate(new VirtioActivation(_rig.Memory, 1UL << VirtioFeatures.Version1, [driver.Config], _rig.Interrupt));
        Assert.True(_rig.Device.IsActive);
        var head = driver.AddChain((Data + 0x100, 8, true));
        _rig.Device.QueueNotify(0);

        Assert.True(RngTestRig.WaitFor(() => driver.UsedIdx == 1));
        Assert.Equal((head, 8u), driver.ReadUsed(0));
        Assert.Equal(CountingSource.Expected(16, 8), _rig.ReadGuest(Data + 0x100, 8));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Requests.Value == 2));
    }

    [Fact]
    public void Reset_waits_for_a_slow_request_and_nothing_is_written_afterwards()
    {
        using var started = new ManualResetEventSlim();
        using var rig = new RngTestRig(span =>
        {
            started.Set();
            Thread.Sleep(100);
            span.Fill(3);
        });
        rig.Activate();
        rig.Driver.AddChain((Data, 4, true));
        rig.Driver.AddChain((Data + 0x100, 4, true));
        rig.Device.QueueNotify(0);
        Assert.True(started.Wait(TimeSpan.FromSeconds(5)));

        rig.Device.Reset();
        var usedAfterReset = rig.Driver.UsedIdx;
        Thread.Sleep(150);
        Assert.Equal(usedAfterReset, rig.Driver.UsedIdx);
        Assert.True(usedAfterReset <= 2);
    }

    [Fact]
    public void Dispose_stops_the_worker_and_activation_afterwards_throws()
    {
        _rig.Activate();
        _rig.Device.Dispose();
        _rig.Device.Dispose();
        Assert.False(_rig.Device.IsActive);
        _rig.Device.QueueNotify(0);
        Assert.Throws<ObjectDisposedException>(() => _rig.Activate());
    }

    [Fact]
    public void Readable_only_chain_gets_length_zero_and_counts_an_error()
    {
        _rig.Activate();
        var head = _rig.Driver.AddChain((Data, 16, false));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        Assert.Equal((head, 0u), _rig.Driver.ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
        Assert.Equal(0, _rig.Device.Metrics.BytesServed.Value);
        Assert.Equal(0, _rig.ReadGuest(Data, 1)[0]);
    }

    [Fact]
    public void Descriptor_loop_is_answered_and_a_following_request_is_served()
    {
        _rig.Activate();
        _rig.Driver.WriteDescriptor(14, Data, 4, VirtqNext, 15);
        _rig.Driver.WriteDescriptor(15, Data, 4, VirtqNext, 14);
        _rig.Driver.Publish(14);
        _rig.Device.QueueNotify(0);
        _rig.WaitForUsed(1);
        Assert.Equal((14u, 0u), _rig.Driver.ReadUsed(0));

        var good = _rig.Driver.AddChain((Data + 0x100, 16, true));
        _rig.Device.QueueNotify(0);
        _rig.WaitForUsed(2);
        Assert.Equal((good, 16u), _rig.Driver.ReadUsed(1));
        Assert.Equal(CountingSource.Expected(0, 16), _rig.ReadGuest(Data + 0x100, 16));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Requests.Value == 2));
        Assert.Equal(1, _rig.Device.Metrics.Errors.Value);
    }

    [Fact]
    public void Head_out_of_range_is_counted_and_skipped()
    {
        _rig.Activate();
        _rig.Driver.Publish(999);
        var good = _rig.Driver.AddChain((Data, 4, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        Assert.Equal((good, 4u), _rig.Driver.ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
    }

    [Fact]
    public void Buffer_outside_guest_memory_is_answered_with_zero()
    {
        _rig.Activate();
        var bad = _rig.Driver.AddChain((MockQueue.MemorySize - 2, 16, true));
        _rig.Device.QueueNotify(0);

        _rig.WaitForUsed(1);
        Assert.Equal((bad, 0u), _rig.Driver.ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
    }

    [Fact]
    public void Avail_index_jump_breaks_the_queue_without_throwing()
    {
        _rig.Activate();
        _rig.Driver.SetAvailIdx(1000);
        _rig.Device.QueueNotify(0);

        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.BrokenQueues.Value == 1));
        _rig.Device.QueueNotify(0);
        _rig.Device.Reset();
        Assert.Equal(1, _rig.Device.Metrics.BrokenQueues.Value);
        Assert.Equal(0, _rig.Driver.UsedIdx);
    }

    [Fact]
    public void Unready_queue_is_counted_as_broken()
    {
        _rig.Activate(config: _rig.Driver.Config with { Ready = false });
        _rig.Device.QueueNotify(0);

        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.BrokenQueues.Value == 1));
        Assert.True(_rig.Device.Metrics.Errors.Value >= 1);
    }

    [Fact]
    public void Failing_source_answers_each_request_empty_and_counts_errors()
    {
        using var rig = new RngTestRig(_ => throw new InvalidOperationException("entropy source gone"));
        rig.Activate();
        var first = rig.Driver.AddChain((Data, 4, true));
        var second = rig.Driver.AddChain((Data + 0x100, 4, true));
        rig.Device.QueueNotify(0);

        rig.WaitForUsed(2);
        Assert.Equal((first, 0u), rig.Driver.ReadUsed(0));
        Assert.Equal((second, 0u), rig.Driver.ReadUsed(1));
        Assert.True(RngTestRig.WaitFor(() => rig.Device.Metrics.Errors.Value == 2));
        Assert.Equal(0, rig.Device.Metrics.BytesServed.Value);
    }

    private const ushort VirtqNext = SharpVirt.Devices.Virtio.Queue.VirtqLayout.DescNext;
}
