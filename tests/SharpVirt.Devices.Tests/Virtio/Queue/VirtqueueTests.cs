using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Tests.Virtio.Queue;

public sealed class VirtqueueTests : IDisposable
{
    private readonly SharpVirt.Memory.GuestMemory _memory = MockQueue.CreateMemory();

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Empty_queue_pops_nothing()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue();
        Assert.False(queue.TryPop(out var chain, out var rejected));
        Assert.Null(chain);
        Assert.Null(rejected);
        Assert.Equal(0, queue.ErrorCount);
        Assert.False(queue.IsBroken);
    }

    [Fact]
    public void Readable_plus_writable_chain_round_trips()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue();
        _memory.Write(MockQueue.DataArea, "request!"u8);
        var head = driver.AddChain((MockQueue.DataArea, 8, false), (MockQueue.DataArea + 0x100, 16, true));

        Assert.True(queue.TryPop(out var chain, out var rejected));
        Assert.Null(rejected);
        Assert.Equal(head, chain.Head);
        Assert.Equal(2, chain.Descriptors.Count);
        Assert.Equal(new Descriptor(MockQueue.DataArea, 8, false), chain.Descriptors[0]);
        Assert.Equal(new Descriptor(MockQueue.DataArea + 0x100, 16, true), chain.Descriptors[1]);
        Assert.Equal(8u, chain.ReadableLength);
        Assert.Equal(16u, chain.WritableLength);

        var request = new byte[32];
        Assert.Equal(8, chain.CopyFrom(_memory, request, 0));
        Assert.Equal("request!"u8.ToArray(), request[..8]);
        Assert.Equal(4, chain.CopyFrom(_memory, request, 4));

        Assert.Equal(5, chain.CopyTo(_memory, "reply"u8, 0));
        Assert.Equal(11, chain.CopyTo(_memory, new byte[20], 5));
        var reply = new byte[5];
        _memory.Read(MockQueue.DataArea + 0x100, reply);
        Assert.Equal("reply"u8.ToArray(), reply);

        queue.AddUsed(chain.Head, 5);
        Assert.Equal(1, driver.UsedIdx);
        Assert.Equal((head, 5u), driver.ReadUsed(0));
        Assert.Equal(1, queue.PoppedChains);
        Assert.Equal(1, queue.UsedEntries);
        Assert.False(queue.TryPop(out _, out _));
    }

    [Fact]
    public void Copies_span_several_buffers()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue();
        _memory.Write(MockQueue.DataArea, "abc"u8);
        _memory.Write(MockQueue.DataArea + 0x100, "defg"u8);
        driver.AddChain((MockQueue.DataArea, 3, false), (MockQueue.DataArea + 0x100, 4, false),
            (MockQueue.DataArea + 0x200, 2, true), (MockQueue.DataArea + 0x300, 3, true));

        Assert.True(queue.TryPop(out var chain, out _));
        var buffer = new byte[5];
        Assert.Equal(5, chain.CopyFrom(_memory, buffer, 1));
        Assert.Equal("bcdef"u8.ToArray(), buffer);

        Assert.Equal(4, chain.CopyTo(_memory, "WXYZ"u8, 1));
        Assert.Equal((byte)'W', _memory.Read<byte>(MockQueue.DataArea + 0x201));
        Assert.Equal("XYZ"u8.ToArray(), _memory.GetSpan(MockQueue.DataArea + 0x300, 3).ToArray());
    }

    [Fact]
    public void Indirect_chain_is_gathered_when_negotiated()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue(indirect: true);
        var head = driver.AddIndirect(0x8000, (MockQueue.DataArea, 10, false), (MockQueue.DataArea + 0x100, 20, false),
            (MockQueue.DataArea + 0x200, 30, true));

        Assert.True(queue.TryPop(out var chain, out _));
        Assert.Equal(head, chain.Head);
        Assert.Equal(3, chain.Descriptors.Count);
        Assert.Equal(30u, chain.ReadableLength);
        Assert.Equal(30u, chain.WritableLength);
        Assert.True(chain.Descriptors[2].DeviceWritable);
    }

    [Fact]
    public void Used_ring_and_indices_wrap_around()
    {
        var driver = new MockQueue(_memory, 4);
        var queue = driver.CreateQueue();
        for (var i = 0; i < 70_000; i++)
        {
            driver.AddChain((MockQueue.DataArea, 1, true));
            Assert.True(queue.TryPop(out var chain, out _));
            queue.AddUsed(chain.Head, (uint)i);
        }

        Assert.Equal(70_000 % 65536, driver.UsedIdx);
        Assert.Equal(70_000, queue.PoppedChains);
        Assert.Equal(0, queue.ErrorCount);
    }

    [Fact]
    public void Popped_chain_keeps_the_values_it_validated_when_the_guest_changes_the_descriptor()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue();
        var head = driver.AddChain((MockQueue.DataArea, 8, true));
        Assert.True(queue.TryPop(out var chain, out _));

        driver.WriteDescriptor(head, 0xffff_ffff_0000, 0xffff_ffff, VirtqLayout.DescWrite, 0);

        Assert.Equal(new Descriptor(MockQueue.DataArea, 8, true), chain.Descriptors[0]);
        Assert.Equal(8, chain.CopyTo(_memory, new byte[100], 0));
    }

    [Fact]
    public void AddUsed_with_a_head_beyond_the_queue_is_a_programmer_error()
    {
        var driver = new MockQueue(_memory);
        var queue = driver.CreateQueue();
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.AddUsed(16, 0));
    }
}
