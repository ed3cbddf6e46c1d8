using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Interop;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// Does the image I/O of one parsed request and writes its status byte; runs on an I/O thread (or, for a read the page
/// cache serves whole, on the loop thread), so several requests proceed at once. Data moves straight between the image
/// and the guest's buffers; the per-thread scratch buffer only backs zeroing where a file system cannot punch holes.
/// Thread-safe: the image is accessed with positioned reads and writes, the counters atomically.
/// </summary>
internal sealed class BlockIo(BlockImage image, byte[] serial, BlockMetrics metrics)
{
    /// <summary>Size of each I/O thread's scratch buffer.</summary>
    internal const int ChunkBytes = 128 * 1024;

    /// <summary>Guest buffers per preadv2/pwritev2 call: a request of seg_max buffers takes one call (4 KiB of stack).</summary>
    private const int RangesPerCall = VirtioBlock.QueueMaxSize;

    /// <summary>Serves <paramref name="request"/> and returns the used length (bytes written to the guest).</summary>
    internal uint Execute(GuestMemory memory, DescriptorChain chain, BlockRequest request, byte[] buffer)
    {
        switch (request.Operation)
        {
            case BlockOperation.Drop:
                metrics.Errors.Increment();
                return 0;
            case BlockOperation.Answer:
                Count(request.Error);
                return Complete(memory, chain, request, request.Status, 0);
            case BlockOperation.Read or BlockOperation.Write:
                return Transfer(memory, chain, request);
            case BlockOperation.Flush:
                return Flush(memory, chain, request);
            case BlockOperation.GetId:
                return GetId(memory, chain, request);
            default:
                return Discard(memory, chain, request, buffer);
        }
    }

    /// <summary>
    /// Tries a read from the page cache alone (RWF_NOWAIT), on the loop thread: true, with the used length, when every
    /// byte was there; false (nothing counted, nothing answered) when the request must go to an I/O thread.
    /// </summary>
    internal bool TryReadCached(GuestMemory memory, DescriptorChain chain, BlockRequest request, out uint used)
    {
        used = 0;
        try
        {
            if (!Transfer(memory, chain, request, noWait: true))
            {
                return false;
            }
        }
        catch (IOException)
        {
            return false; // the I/O thread tries again, and reports what fails there
        }

        used = Succeeded(memory, chain, request);
        return true;
    }

    /// <summary>A read or a write, blocking on this I/O thread until the image has answered.</summary>
    private uint Transfer(GuestMemory memory, DescriptorChain chain, BlockRequest request)
    {
        try
        {
            Transfer(memory, chain, request, noWait: false);
        }
        catch (IOException)
        {
            metrics.Errors.Increment();
            return Complete(memory, chain, request, BlockRequestType.StatusIoError, 0);
        }

        return Succeeded(memory, chain, request);
    }

    /// <summary>Counts a read or write that moved all its data and answers OK (a read's data counts as written).</summary>
    private uint Succeeded(GuestMemory memory, DescriptorChain chain, BlockRequest request)
    {
        if (request.Operation == BlockOperation.Read)
        {
            metrics.AddRead(request.DataLength);
            return Complete(memory, chain, request, BlockRequestType.StatusOk, request.DataLength);
        }

        metrics.AddWrite(request.DataLength);
        return Complete(memory, chain, request, BlockRequestType.StatusOk, 0);
    }

    /// <summary>
    /// Moves a read's or write's data straight between the image and the guest's buffers (preadv2/pwritev2 on the host
    /// ranges behind the chain, no copy), <see cref="RangesPerCall"/> buffers per call. With <paramref name="noWait"/>
    /// a read that the page cache cannot serve whole returns false at once.
    /// </summary>
    private bool Transfer(GuestMemory memory, DescriptorChain chain, BlockRequest request, bool noWait)
    {
        var write = request.Operation == BlockOperation.Write;
        var position = checked((long)(request.Sector * BlockImage.SectorSize));
        var skip = write ? (ulong)BlockRequestType.HeaderSize : 0;
        // Sized by the chain (a 4 KiB read has 3 descriptors): the stack block is zeroed on every request.
        Span<IoVec> ranges = stackalloc IoVec[Math.Min(RangesPerCall, chain.Descriptors.Count)];
        var done = 0UL;
        while (done < request.DataLength)
        {
            var (count, bytes) = chain.GetHostRanges(memory, writable: !write, skip + done, request.DataLength - done, ranges);
            if (count == 0)
            {
                throw new IOException("the chain ended before the request's data");
            }

            var at = checked(position + (long)done);
            var n = write ? image.WriteVector(ranges[..count], at) : image.ReadVector(ranges[..count], at, noWait);
            if (n < 0 || (noWait && (ulong)n < bytes))
            {
                return false;
            }

            if (n == 0)
            {
                throw new IOException($"Disk image '{image.Path}': unexpected end of file at byte {at}");
            }

            done += (ulong)n;
        }

        return true;
    }

    private uint Flush(GuestMemory memory, DescriptorChain chain, BlockRequest request)
    {
        if (!image.ReadOnly)
        {
            try
            {
                image.Flush();
            }
            catch (IOException)
            {
                metrics.Errors.Increment();
                return Complete(memory, chain, request, BlockRequestType.StatusIoError, 0);
            }
        }

        metrics.FlushRequests.Increment();
        return Complete(memory, chain, request, BlockRequestType.StatusOk, 0);
    }

    private uint GetId(GuestMemory memory, DescriptorChain chain, BlockRequest request)
    {
        // The id goes into the writable bytes before the status; a shorter buffer gets what fits.
        Span<byte> id = stackalloc byte[BlockRequestType.IdBytes];
        id.Clear();
        serial.AsSpan().CopyTo(id);
        var count = Math.Min(request.StatusOffset, BlockRequestType.IdBytes);
        var written = chain.CopyTo(memory, id[..count], 0);
        metrics.GetIdRequests.Increment();
        return Complete(memory, chain, request, BlockRequestType.StatusOk, (uint)written);
    }

    private uint Discard(GuestMemory memory, DescriptorChain chain, BlockRequest request, byte[] buffer)
    {
        byte status;
        try
        {
            status = BlockDiscard.Apply(image, memory, chain, request, buffer);
        }
        catch (IOException)
        {
            status = BlockRequestType.StatusIoError;
        }

        if (status == BlockRequestType.StatusOk)
        {
            (request.Operation == BlockOperation.WriteZeroes ? metrics.WriteZeroesRequests : metrics.DiscardRequests).Increment();
        }
        else if (status == BlockRequestType.StatusUnsupported)
        {
            metrics.UnsupportedRequests.Increment();
        }
        else
        {
            metrics.Errors.Increment();
        }

        return Complete(memory, chain, request, status, 0);
    }

    private void Count(BlockRequestError error)
    {
        switch (error)
        {
            case BlockRequestError.ReadOnly:
                metrics.AddReadOnlyRejection();
                break;
            case BlockRequestError.Unsupported:
                metrics.UnsupportedRequests.Increment();
                break;
            case BlockRequestError.Malformed:
                metrics.Errors.Increment();
                break;
        }
    }

    private static uint Complete(GuestMemory memory, DescriptorChain chain, BlockRequest request, byte status, uint dataWritten)
    {
        ReadOnlySpan<byte> value = [status];
        chain.CopyTo(memory, value, request.StatusOffset);
        return checked(dataWritten + 1);
    }
}
