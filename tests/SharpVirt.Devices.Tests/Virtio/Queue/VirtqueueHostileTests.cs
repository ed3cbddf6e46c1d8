using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Tests.Virtio.Queue;

/// <summary>Each hostile chain is rejected with a counted error, its head handed back, and the queue keeps working.</summary>
public sealed class VirtqueueHostileTests : IDisposable
{
    private const ulong Data = MockQueue.DataArea;
    private const ushort Next = VirtqLayout.DescNext;
    private const ushort Write = VirtqLayout.DescWrite;
    private const ushort Indirect = VirtqLayout.DescIndirect;

    private readonly SharpVirt.Memory.GuestMemory _memory = MockQueue.CreateMemory();
    private readonly MockQueue _driver;

    public VirtqueueHostileTests() => _driver = new MockQueue(_memory);

    public void Dispose() => _memory.Dispose();

    /// <summary>Pops once, expects a rejection of <paramref name="kind"/>, then proves the queue still serves a good chain.</summary>
    private static void AssertRejected(MockQueue driver, Virtqueue queue, QueueErrorKind kind, ushort? expectedHead)
    {
        Assert.False(queue.TryPop(out var chain, out var rejected));
        Assert.Null(chain);
        Assert.Equal(expectedHead, rejected);
        Assert.Equal(kind, queue.LastError?.Kind);
        Assert.False(string.IsNullOrEmpty(queue.LastError?.Message));
        Assert.Equal(1, queue.ErrorCount);
        Assert.False(queue.IsBroken);
        Assert.Equal(0, queue.PoppedChains);
        if (rejected is { } head)
        {
            queue.AddUsed(head, 0);
            Assert.Equal((head, 0u), driver.ReadUsed(0));
        }

        // The queue is still usable: a well-formed chain in fresh descriptors pops fine.
        driver.WriteDescriptor(driver.Size - 1, Data, 4, Write, 0);
        driver.Publish((ushort)(driver.Size - 1));
        Assert.True(queue.TryPop(out var good, out _));
        Assert.Equal(driver.Size - 1, good.Head);
        Assert.Equal(1, queue.ErrorCount);
    }

    [Fact]
    public void Descriptor_loop_is_rejected()
    {
        var queue = _driver.CreateQueue();
        _driver.WriteDescriptor(0, Data, 4, Next, 1);
        _driver.WriteDescriptor(1, Data, 4, Next, 0);
        _driver.Publish(0);
        AssertRejected(_driver, queue, QueueErrorKind.ChainTooLong, 0);
    }

    [Fact]
    public void Self_loop_is_rejected()
    {
        var queue = _driver.CreateQueue();
        _driver.WriteDescriptor(3, Data, 4, Next, 3);
        _driver.Publish(3);
        AssertRejected(_driver, queue, QueueErrorKind.ChainTooLong, 3);
    }

    [Fact]
    public void Chain_longer_than_the_queue_is_rejected()
    {
        var queue = _driver.CreateQueue();
        for (var i = 0; i < 16; i++)
        {
            _driver.WriteDescriptor(i, Data, 1, Next, (ushort)((i + 1) % 16));
        }

        _driver.Publish(5);
        AssertRejected(_driver, queue, QueueErrorKind.ChainTooLong, 5);
    }

    [Fact]
    public void Next_out_of_range_is_rejected()
    {
        var queue = _driver.CreateQueue();
        _driver.WriteDescriptor(0, Data, 4, Next, 16);
        _driver.Publish(0);
        AssertRejected(_driver, queue, QueueErrorKind.NextOutOfRange, 0);
    }

    [Fact]
    public void Head_out_of_range_is_rejected_without_a_head_to_complete()
    {
        var queue = _driver.CreateQueue();
        _driver.Publish(16);
        AssertRejected(_driver, queue, QueueErrorKind.HeadOutOfRange, null);
    }

    [Fact]
    public void Buffer_outside_guest_memory_is_rejected()
    {
        var queue = _driver.CreateQueue();
        _driver.AddRaw(MockQueue.MemorySize - 2, 4, 0, 0);
        AssertRejected(_driver, queue, QueueErrorKind.BufferOutOfRange, 0);
    }

    [Fact]
    public void Buffer_whose_end_overflows_64_bits_is_rejected()
    {
        var queue = _driver.CreateQueue();
        _driver.AddRaw(ulong.MaxValue - 10, 100, Write, 0);
        AssertRejected(_driver, queue, QueueErrorKind.BufferOverflow, 0);
    }

    [Fact]
    public void Total_length_above_4_GiB_is_rejected()
    {
        using var big = SharpVirt.Memory.GuestMemory.Create([(0, 1UL << 20), (1UL << 32, 3UL << 30)]);
        var driver = new MockQueue(big);
        var queue = driver.CreateQueue();
        const ulong high = 1UL << 32;
        driver.WriteDescriptor(0, high, 3u << 30, Next, 1);
        driver.WriteDescriptor(1, high, 3u << 30, Next, 2);
        driver.WriteDescriptor(2, Data, 16, 0, 0);
        driver.Publish(0);
        AssertRejected(driver, queue, QueueErrorKind.TotalLengthOverflow, 0);
    }

    [Fact]
    public void Indirect_without_the_feature_is_rejected()
    {
        var queue = _driver.CreateQueue(indirect: false);
        _driver.AddIndirect(0x8000, (Data, 4, false));
        AssertRejected(_driver, queue, QueueErrorKind.IndirectNotNegotiated, 0);
    }

    [Fact]
    public void Nested_indirect_is_rejected()
    {
        var queue = _driver.CreateQueue(indirect: true);
        _driver.WriteDescriptor(0x8000, 0, Data, 4, Next, 1);
        _driver.WriteDescriptor(0x8000, 1, 0x9000, 16, Indirect, 0);
        _driver.AddRaw(0x8000, 32, Indirect, 0);
        AssertRejected(_driver, queue, QueueErrorKind.NestedIndirect, 0);
    }

    [Theory]
    [InlineData(0x8000UL, 0u, QueueErrorKind.IndirectTableLength)]
    [InlineData(0x8000UL, 24u, QueueErrorKind.IndirectTableLength)]
    [InlineData(0x8000UL, 7u, QueueErrorKind.IndirectTableLength)]
    [InlineData(0x8000UL, 0xffff_fff0u, QueueErrorKind.IndirectTableLength)]
    [InlineData(MockQueue.MemorySize - 16, 32u, QueueErrorKind.IndirectTableOutOfRange)]
    [InlineData(ulong.MaxValue - 15, 32u, QueueErrorKind.IndirectTableOutOfRange)]
    public void Bad_indirect_table_is_rejected(ulong address, uint length, QueueErrorKind kind)
    {
        var queue = _driver.CreateQueue(indirect: true);
        _driver.AddRaw(address, length, Indirect, 0);
        AssertRejected(_driver, queue, kind, 0);
    }

    [Fact]
    public void Indirect_with_next_is_rejected()
    {
        var queue = _driver.CreateQueue(indirect: true);
        _driver.WriteDescriptor(0x8000, 0, Data, 4, 0, 0);
        _driver.AddRaw(0x8000, 16, Indirect | Next, 1);
        AssertRejected(_driver, queue, QueueErrorKind.IndirectWithNext, 0);
    }

    [Fact]
    public void Loop_inside_an_indirect_table_is_rejected()
    {
        var queue = _driver.CreateQueue(indirect: true);
        _driver.WriteDescriptor(0x8000, 0, Data, 4, Next, 1);
        _driver.WriteDescriptor(0x8000, 1, Data, 4, Next, 0);
        _driver.AddRaw(0x8000, 32, Indirect, 0);
        AssertRejected(_driver, queue, QueueErrorKind.ChainTooLong, 0);
    }

    [Fact]
    public void Indirect_next_beyond_the_table_is_rejected()
    {
        var queue = _driver.CreateQueue(indirect: true);
        _driver.WriteDescriptor(0x8000, 0, Data, 4, Next, 2);
        _driver.AddRaw(0x8000, 32, Indirect, 0);
        AssertRejected(_driver, queue, QueueErrorKind.NextOutOfRange, 0);
    }

    [Fact]
    public void Readable_after_writable_is_rejected()
    {
        var queue = _driver.CreateQueue();
        _driver.AddChain((Data, 4, true), (Data + 0x100, 4, false));
        AssertRejected(_driver, queue, QueueErrorKind.ReadableAfterWritable, 0);
    }

    [Fact]
    public void Avail_idx_jumping_more_than_the_size_ahead_breaks_the_queue()
    {
        var queue = _driver.CreateQueue();
        _driver.SetAvailIdx(17);
        Assert.False(queue.TryPop(out _, out var rejected));
        Assert.Null(rejected);
        Assert.True(queue.IsBroken);
        Assert.Equal(QueueErrorKind.AvailIndexJump, queue.LastError?.Kind);
        Assert.Equal(1, queue.ErrorCount);

        // A broken queue stays broken and quiet: no more pops, no more errors, no used entries.
        _driver.SetAvailIdx(1);
        Assert.False(queue.TryPop(out _, out _));
        queue.AddUsed(0, 0);
        Assert.Equal(0, _driver.UsedIdx);
        Assert.False(queue.NeedsNotification());
        Assert.Equal(1, queue.ErrorCount);
    }

    [Fact]
    public void Avail_idx_exactly_size_ahead_is_accepted()
    {
        var queue = _driver.CreateQueue();
        for (var i = 0; i < 16; i++)
        {
            _driver.AddChain((Data, 4, false));
        }

        for (var i = 0; i < 16; i++)
        {
            Assert.True(queue.TryPop(out _, out _));
        }

        Assert.False(queue.TryPop(out _, out _));
        Assert.Equal(0, queue.ErrorCount);
    }
}
