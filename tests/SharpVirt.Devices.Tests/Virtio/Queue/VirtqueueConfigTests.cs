using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Tests.Virtio.Queue;

public sealed class VirtqueueConfigTests : IDisposable
{
    private readonly SharpVirt.Memory.GuestMemory _memory = MockQueue.CreateMemory();

    public void Dispose() => _memory.Dispose();

    [Theory]
    [InlineData((ushort)0, 0x1000UL, 0x4000UL, 0x6000UL)]          // size 0
    [InlineData((ushort)3, 0x1000UL, 0x4000UL, 0x6000UL)]          // not a power of 2
    [InlineData((ushort)65535, 0x1000UL, 0x4000UL, 0x6000UL)]      // not a power of 2, above the maximum
    [InlineData((ushort)16, 0x1008UL, 0x4000UL, 0x6000UL)]         // descriptor table not 16-aligned
    [InlineData((ushort)16, 0x1000UL, 0x4001UL, 0x6000UL)]         // avail ring not 2-aligned
    [InlineData((ushort)16, 0x1000UL, 0x4000UL, 0x6002UL)]         // used ring not 4-aligned
    [InlineData((ushort)16, 0xfff80UL, 0x4000UL, 0x6000UL)]        // descriptor table runs past memory
    [InlineData((ushort)16, 0x1000UL, 0xfffe0UL, 0x6000UL)]        // avail ring (with used_event) runs past memory
    [InlineData((ushort)16, 0x1000UL, 0x4000UL, 0xfff80UL)]        // used ring runs past memory
    [InlineData((ushort)16, 0x1000UL, 0x4000UL, 0xffff_ffff_ffff_fff0UL)] // used ring overflows
    [InlineData((ushort)32768, 0xf0000UL, 0x4000UL, 0x6000UL)]     // maximum size, table does not fit
    public void Invalid_config_yields_a_broken_queue_without_throwing(ushort size, ulong desc, ulong avail, ulong used)
    {
        var queue = new Virtqueue(_memory, new QueueConfig(size, desc, avail, used, true), eventIdx: true, indirect: true);
        Assert.True(queue.IsBroken);
        Assert.Equal(QueueErrorKind.InvalidConfig, queue.LastError?.Kind);
        Assert.Equal(1, queue.ErrorCount);
        Assert.False(queue.TryPop(out _, out _));
        Assert.False(queue.HasAvailable());
        Assert.False(queue.NeedsNotification());
        Assert.False(queue.EnableNotification());
        queue.DisableNotification();
        queue.SetAvailEvent(1);
    }

    [Fact]
    public void Queue_not_ready_is_broken()
    {
        var queue = new Virtqueue(_memory, new QueueConfig(16, 0x1000, 0x4000, 0x6000, false), false, false);
        Assert.True(queue.IsBroken);
    }

    [Fact]
    public void Largest_valid_queue_is_accepted()
    {
        var queue = new Virtqueue(_memory, new QueueConfig(32768, 0x80000, 0x4000, 0x10000, true), true, true);
        Assert.False(queue.IsBroken);
        Assert.Null(queue.LastError);
        Assert.Equal(32768, queue.Size);
    }
}
