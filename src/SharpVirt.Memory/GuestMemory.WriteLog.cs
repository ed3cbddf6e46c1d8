namespace SharpVirt.Memory;

/// <summary>
/// The write log: which pages the VMM itself wrote (device DMA, emulated instructions, the balloon's discards), for a
/// live migration, which gets the guest's own writes from KVM's dirty log and needs these too.
/// </summary>
public sealed partial class GuestMemory
{
    private volatile WriteLog? _writeLog;

    /// <summary>Starts logging the VMM's writes, with every page clean.</summary>
    public void StartWriteLog() => _writeLog = new WriteLog(_regions);

    /// <summary>Stops logging the VMM's writes.</summary>
    public void StopWriteLog() => _writeLog = null;

    /// <summary>
    /// Logs [address, address+length) as written, for writes made through a host address (vectored I/O, atomics)
    /// rather than through <see cref="Write(ulong, ReadOnlySpan{byte})"/>; a no-op when no log runs.
    /// </summary>
    public void MarkWritten(ulong address, ulong length) => _writeLog?.Mark(this, address, length);

    /// <summary>
    /// ORs the pages of region <paramref name="region"/> logged since the last call into <paramref name="bitmap"/> (bit
    /// n of word n/64 for the region's page n, as KVM_GET_DIRTY_LOG has it) and clears them in the log.
    /// </summary>
    public void TakeWritten(int region, Span<ulong> bitmap)
    {
        var log = _writeLog ?? throw new InvalidOperationException("no write log runs");
        var words = log.Bits[region];
        if (bitmap.Length < words.Length)
        {
            throw new ArgumentException($"the bitmap needs {words.Length} words", nameof(bitmap));
        }

        for (var i = 0; i < words.Length; i++)
        {
            if (Volatile.Read(ref words[i]) != 0)
            {
                bitmap[i] |= Interlocked.Exchange(ref words[i], 0);
            }
        }
    }

    /// <summary>The words a bitmap of region <paramref name="region"/>'s pages takes (one bit a page).</summary>
    public int BitmapWords(int region) => Words(_regions[region]);

    private static int Words(GuestRegion region) => (int)((region.Size / PageSize + 63) / 64);

    private sealed class WriteLog(GuestRegion[] regions)
    {
        public ulong[][] Bits { get; } = [.. regions.Select(r => new ulong[Words(r)])];

        public void Mark(GuestMemory memory, ulong address, ulong length)
        {
            if (length == 0)
            {
                return;
            }

            var index = memory.FindRegion(address, length);
            if (index < 0)
            {
                return;
            }

            var words = Bits[index];
            var first = (address - memory._regions[index].Start) / PageSize;
            var last = (address - memory._regions[index].Start + length - 1) / PageSize;
            for (var page = first; page <= last; page++)
            {
                var bit = 1UL << (int)(page % 64);
                ref var word = ref words[page / 64];
                if ((Volatile.Read(ref word) & bit) == 0)
                {
                    Interlocked.Or(ref word, bit);
                }
            }
        }
    }
}
