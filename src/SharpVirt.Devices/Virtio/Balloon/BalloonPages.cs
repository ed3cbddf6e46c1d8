using System.Buffers.Binary;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Balloon;

/// <summary>
/// The inflate, deflate and free-page-reporting queues' servers. Inflate and deflate chains carry arrays of le32 page
/// frame numbers (4 KiB pages, whatever the guest's page size); each number is checked against guest memory and
/// runs of consecutive pages are released in one madvise. Reporting chains describe free ranges in their (writable)
/// descriptors, already checked to lie in guest memory by the queue.
/// </summary>
internal sealed class BalloonPages(GuestMemory memory, BalloonMetrics metrics, BalloonPages.Kind kind) : IQueueServer
{
    /// <summary>VIRTIO_BALLOON_PFN_SHIFT: page frame numbers count 4 KiB pages.</summary>
    internal const int PfnShift = 12;

    /// <summary>The most page numbers one chain is read for (Linux sends at most 256).</summary>
    internal const int MaxPfnsPerChain = 4096;

    private readonly byte[] _pfns = new byte[MaxPfnsPerChain * 4];

    /// <summary>Which queue this server serves.</summary>
    internal enum Kind
    {
        Inflate,
        Deflate,
        Report,
    }

    /// <inheritdoc />
    public ServeResult Serve(DescriptorChain chain)
    {
        if (kind == Kind.Report)
        {
            Report(chain);
            return ServeResult.Done(0);
        }

        var length = (int)Math.Min(chain.ReadableLength, (uint)_pfns.Length);
        if (length % 4 != 0)
        {
            metrics.Errors.Increment(); // a torn page number: the whole ones are still served
        }

        var count = chain.CopyFrom(memory, _pfns.AsSpan(0, length), 0) / 4;
        if (chain.ReadableLength > _pfns.Length)
        {
            metrics.Errors.Increment();
        }

        if (kind == Kind.Inflate)
        {
            Inflate(count);
        }
        else
        {
            metrics.DeflatedPages.Add(count); // nothing to do: the guest's next touch faults a zero page in
        }

        return ServeResult.Done(0);
    }

    /// <inheritdoc />
    public void OnRejected() => metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnError() => metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnBroken() => metrics.AddBrokenQueue();

    private void Inflate(int count)
    {
        var runStart = 0UL;
        var runPages = 0UL;
        for (var i = 0; i < count; i++)
        {
            var pfn = BinaryPrimitives.ReadUInt32LittleEndian(_pfns.AsSpan(i * 4));
            var address = (ulong)pfn << PfnShift;
            if (runPages > 0 && address == runStart + (runPages << PfnShift))
            {
                runPages++;
                continue;
            }

            Release(runStart, runPages);
            runStart = address;
            runPages = 1;
        }

        Release(runStart, runPages);
    }

    private void Release(ulong address, ulong pages)
    {
        if (pages == 0)
        {
            return;
        }

        if (memory.Discard(address, pages << PfnShift))
        {
            metrics.InflatedPages.Add((long)pages);
        }
        else
        {
            metrics.Errors.Increment(); // outside guest memory (or across a hole): nothing is touched
        }
    }

    private void Report(DescriptorChain chain)
    {
        foreach (var range in chain.Descriptors)
        {
            // Whole pages only: a range that is not page-aligned is shrunk to the pages it covers.
            var start = (range.Address + GuestMemory.PageSize - 1) & ~(GuestMemory.PageSize - 1);
            var end = (range.Address + range.Length) & ~(GuestMemory.PageSize - 1);
            if (end > start && memory.Discard(start, end - start))
            {
                metrics.ReportedBytes.Add((long)(end - start));
            }
            else
            {
                metrics.Errors.Increment();
            }
        }
    }
}
