using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Tests.Virtio.Queue;

public sealed class VirtqueueNotificationTests : IDisposable
{
    private readonly SharpVirt.Memory.GuestMemory _memory = MockQueue.CreateMemory();

    public void Dispose() => _memory.Dispose();

    private static void Complete(MockQueue driver, Virtqueue queue)
    {
        driver.AddChain((MockQueue.DataArea, 1, true));
        Assert.True(queue.TryPop(out var chain, out _));
        queue.AddUsed(chain.Head, 1);
    }

    [Fact]
    public void Without_event_idx_notifies_unless_NO_INTERRUPT()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue();
        Complete(driver, queue);
        Assert.True(queue.NeedsNotification());

        driver.SetAvailFlags(VirtqLayout.AvailNoInterrupt);
        Complete(driver, queue);
        Assert.False(queue.NeedsNotification());

        driver.SetAvailFlags(0);
        Complete(driver, queue);
        Assert.True(queue.NeedsNotification());
    }

    [Fact]
    public void Event_idx_notifies_exactly_when_used_event_is_crossed()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue(eventIdx: true);
        driver.SetUsedEvent(2);
        var decisions = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            Complete(driver, queue);
            decisions.Add(queue.NeedsNotification());
        }

        // used.idx goes 1,2,3,4,5: the driver asked to hear once the entry at index 2 is used (idx 3).
        Assert.Equal([false, false, true, false, false], decisions);
    }

    [Fact]
    public void Event_idx_notifies_when_a_batch_jumps_over_used_event()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue(eventIdx: true);
        driver.SetUsedEvent(1);
        Complete(driver, queue);
        Complete(driver, queue);
        Complete(driver, queue);
        Assert.True(queue.NeedsNotification());
        Assert.False(queue.NeedsNotification());
    }

    [Theory]
    [InlineData((ushort)65535, true)]
    [InlineData((ushort)65534, true)]
    [InlineData((ushort)0, false)]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)65533, false)]
    public void Event_idx_handles_16_bit_wraparound(ushort usedEvent, bool expected)
    {
        var driver = new MockQueue(_memory, 4);
        var queue = driver.CreateQueue(eventIdx: true);
        driver.SetUsedEvent(40000);
        for (var i = 0; i < 65534; i++)
        {
            Complete(driver, queue);
        }

        _ = queue.NeedsNotification();
        Assert.Equal(65534, queue.NextUsedIndex);

        // Two more entries: used.idx moves 65534 -> 65535 -> 0, covering used entries 65534 and 65535.
        driver.SetUsedEvent(usedEvent);
        Complete(driver, queue);
        Complete(driver, queue);
        Assert.Equal(0, driver.UsedIdx);
        Assert.Equal(expected, queue.NeedsNotification());
    }

    [Fact]
    public void Enable_notification_writes_avail_event_and_reports_pending_buffers()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue(eventIdx: true);
        Complete(driver, queue);
        Complete(driver, queue);
        Assert.False(queue.EnableNotification());
        Assert.Equal(2, driver.AvailEvent);

        driver.AddChain((MockQueue.DataArea, 1, true));
        Assert.True(queue.EnableNotification());
        queue.SetAvailEvent(77);
        Assert.Equal(77, driver.AvailEvent);
    }

    [Fact]
    public void Without_event_idx_enable_and_disable_toggle_NO_NOTIFY()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue();
        queue.DisableNotification();
        Assert.Equal(VirtqLayout.UsedNoNotify, driver.UsedFlags);
        Assert.False(queue.EnableNotification());
        Assert.Equal(0, driver.UsedFlags);
    }
}
