using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// Does the image I/O of one parsed request and writes its status byte; runs on an I/O thread with that thread's own
/// bounce buffer, so several requests proceed at once. Host memory use is bounded by the buffer: larger requests are
/// moved in chunks. Thread-safe: the image is accessed with positioned reads and writes, the counters atomically.
/// </summary>
internal sealed class BlockIo(BlockImage image, byte[] serial, BlockMetrics metrics)
{
    /// <summary>Size of each I/O thread's bounce buffer between guest memory and the image.</summary>
    internal const int ChunkBytes = 128 * 1024;

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
            case BlockOperation.Read:
                return Read(memory, chain, request, buffer);
            case BlockOperation.Write:
                return Write(memory, chain, request, buffer);
            case BlockOperation.Flush:
                return Flush(memory, chain, request);
            case BlockOperation.GetId:
                return GetId(memory, chain, request);
            default:
                return Discard(memory, chain, request, buffer);
        }
    }

    private uint Read(GuestMemory memory, DescriptorChain chain, BlockRequest request, byte[] buffer)
    {
        var position = checked((long)(request.Sector * BlockImage.SectorSize));
        var done = 0;
        try
        {
            while (done < request.DataLength)
            {
                var count = (int)Math.Min((uint)buffer.Length, request.DataLength - (uint)done);
                var chunk = buffer.AsSpan(0, count);
                image.ReadExactly(chunk, checked(position + done));
                chain.CopyTo(memory, chunk, done);
                done += count;
            }
        }
        catch (IOException)
        {
            metrics.Errors.Increment();
            return Complete(memory, chain, request, BlockRequestType.StatusIoError, (uint)done);
        }

        metrics.AddRead(request.DataLength);
        return Complete(memory, chain, request, BlockRequestType.StatusOk, request.DataLength);
    }

    private uint Write(GuestMemory memory, DescriptorChain chain, BlockRequest request, byte[] buffer)
    {
        var position = checked((long)(request.Sector * BlockImage.SectorSize));
        var done = 0L;
        try
        {
            while (done < request.DataLength)
            {
                var count = (int)Math.Min(buffer.Length, request.DataLength - done);
                var chunk = buffer.AsSpan(0, count);
                // Copy guest data first: the guest may keep changing it, but what reaches the file is this snapshot.
                var copied = chain.CopyFrom(memory, chunk, checked(BlockRequestType.HeaderSize + (int)done));
                if (copied != count)
                {
                    throw new IOException("the readable part of the chain ended early");
                }

                image.Write(chunk, checked(position + done));
                done += count;
            }
        }
        catch (IOException)
        {
            metrics.Errors.Increment();
            return Complete(memory, chain, request, BlockRequestType.StatusIoError, 0);
        }

        metrics.AddWrite(request.DataLength);
        return Complete(memory, chain, request, BlockRequestType.StatusOk, 0);
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
