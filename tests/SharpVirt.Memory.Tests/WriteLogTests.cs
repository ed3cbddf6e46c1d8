namespace SharpVirt.Memory.Tests;

/// <summary>The write log a live migration reads beside KVM's dirty log: which pages the VMM itself wrote.</summary>
public sealed class WriteLogTests : IDisposable
{
    private const ulong Page = GuestMemory.PageSize;

    // Two regions: 64 pages at 0 and 70 pages at 1 MiB (a bitmap of two words, the second partly used).
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 64 * Page), (1 << 20, 70 * Page)]);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Writes_through_every_path_mark_their_pages_and_taking_them_clears_the_log()
    {
        _memory.StartWriteLog();
        _memory.Write(3 * Page + 10, 7UL);                     // one page
        _memory.Write((1 << 20) + Page - 2, new byte[4]);       // straddles pages 0 and 1 of region 1
        _memory.Clear((1 << 20) + 69 * Page, 16);               // the last page, in the second word
        _memory.MarkWritten(5 * Page, 2 * Page);                // pages 5 and 6 (vectored I/O)
        Assert.True(_memory.Discard(10 * Page, Page));          // the balloon's zeros are writes too

        Assert.Equal([(1UL << 3) | (1UL << 5) | (1UL << 6) | (1UL << 10)], Take(0));
        Assert.Equal([0b11UL, 1UL << (69 - 64)], Take(1));
        Assert.Equal([0UL], Take(0));
        Assert.Equal([0UL, 0UL], Take(1));
    }

    [Fact]
    public void Reads_are_not_writes_and_nothing_is_logged_before_the_log_starts_or_after_it_stops()
    {
        _memory.Write(2 * Page, 1UL);
        _memory.StartWriteLog();
        _ = _memory.Read<ulong>(2 * Page);
        _ = _memory.GetSpan(8 * Page, 64);
        Assert.Equal([0UL], Take(0));

        _memory.StopWriteLog();
        _memory.Write(2 * Page, 2UL);
        _memory.MarkWritten(0, Page);
        _memory.StartWriteLog();
        Assert.Equal([0UL], Take(0));
        Assert.Throws<ArgumentException>(() => _memory.TakeWritten(1, new ulong[1]));
    }

    [Fact]
    public void Marks_outside_guest_memory_are_ignored_and_taking_without_a_log_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => _memory.TakeWritten(0, new ulong[1]));
        _memory.StartWriteLog();
        _memory.MarkWritten(64 * Page, Page);       // the hole between the regions
        _memory.MarkWritten(ulong.MaxValue - 10, 100); // overflows
        _memory.MarkWritten(0, 0);
        Assert.Equal([0UL], Take(0));
        Assert.Equal([0UL, 0UL], Take(1));
    }

    [Fact]
    public void Writers_on_many_threads_lose_no_page()
    {
        _memory.StartWriteLog();
        Parallel.For(0, 64, page => _memory.Write((ulong)page * Page, (byte)1));
        Assert.Equal([ulong.MaxValue], Take(0));
    }

    private ulong[] Take(int region)
    {
        var bitmap = new ulong[_memory.BitmapWords(region)];
        _memory.TakeWritten(region, bitmap);
        return bitmap;
    }
}
