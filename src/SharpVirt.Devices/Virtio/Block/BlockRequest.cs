using System.Buffers.Binary;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>virtio-blk request types and status values (virtio 1.2, section 5.2.6).</summary>
internal static class BlockRequestType
{
    internal const uint In = 0;
    internal const uint Out = 1;
    internal const uint Flush = 4;
    internal const uint GetId = 8;

    internal const byte StatusOk = 0;
    internal const byte StatusIoError = 1;
    internal const byte StatusUnsupported = 2;

    /// <summary>Size of struct virtio_blk_req's header: le32 type, le32 reserved, le64 sector.</summary>
    internal const int HeaderSize = 16;

    /// <summary>Size of the GET_ID answer (VIRTIO_BLK_ID_BYTES).</summary>
    internal const int IdBytes = 20;
}

/// <summary>
/// Serves one popped chain against the image. The chain is laid out as header and OUT data (device-readable)
/// then IN data and the status byte (device-writable), with any split into descriptors (VIRTIO_F_ANY_LAYOUT is
/// implied by VERSION_1). The header is copied into a local before it is looked at; lengths are checked
/// against the image before any I/O; host memory use is bounded by one fixed bounce buffer.
/// </summary>
internal sealed class BlockRequestHandler
{
    /// <summary>Size of the bounce buffer between guest memory and the image; requests larger than this are split.</summary>
    internal const int ChunkBytes = 128 * 1024;

    /// <summary>The largest data part of one request (1 GiB, far above what Linux sends); larger chains are refused.</summary>
    internal const uint MaxDataBytes = 1U << 30;

    private readonly BlockImage _image;
    private readonly byte[] _serial;
    private readonly BlockMetrics _metrics;
    private readonly byte[] _buffer = new byte[ChunkBytes];

    internal BlockRequestHandler(BlockImage image, byte[] serial, BlockMetrics metrics)
    {
        _image = image;
        _serial = serial;
        _metrics = metrics;
    }

    /// <summary>Serves <paramref name="chain"/> and returns the used length (bytes written to the guest).</summary>
    internal uint Serve(GuestMemory memory, DescriptorChain chain)
    {
        if (chain.WritableLength == 0)
        {
            // No status byte: there is no way to answer, so the chain goes back empty.
            _metrics.AddError();
            return 0;
        }

        if (chain.WritableLength - 1 > MaxDataBytes || chain.ReadableLength > MaxDataBytes + BlockRequestType.HeaderSize)
        {
            // Larger than any request the device serves (and than its offsets can express): answered empty.
            _metrics.AddError();
            return 0;
        }

        var statusOffset = (int)(chain.WritableLength - 1);
        if (chain.ReadableLength < BlockRequestType.HeaderSize)
        {
            _metrics.AddError();
            return Complete(memory, chain, statusOffset, BlockRequestType.StatusIoError, 0);
        }

        Span<byte> header = stackalloc byte[BlockRequestType.HeaderSize];
        chain.CopyFrom(memory, header, 0);
        var type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);

        switch (type)
        {
            case BlockRequestType.In:
                return ServeIn(memory, chain, sector, statusOffset);
            case BlockRequestType.Out:
                return ServeOut(memory, chain, sector, statusOffset);
            case BlockRequestType.Flush:
                return ServeFlush(memory, chain, statusOffset);
            case BlockRequestType.GetId:
                return ServeGetId(memory, chain, statusOffset);
            default:
                _metrics.AddUnsupported();
                return Complete(memory, chain, statusOffset, BlockRequestType.StatusUnsupported, 0);
        }
    }

    private uint ServeIn(GuestMemory memory, DescriptorChain chain, ulong sector, int statusOffset)
    {
        var length = (uint)statusOffset;
        if (!IsValidRange(sector, length))
        {
            _metrics.AddError();
            return Complete(memory, chain, statusOffset, BlockRequestType.StatusIoError, 0);
        }

        var position = checked((long)(sector * BlockImage.SectorSize));
        var done = 0;
        try
        {
            while (done < length)
            {
                var count = (int)Math.Min((uint)ChunkBytes, length - (uint)done);
                var chunk = _buffer.AsSpan(0, count);
                _image.ReadExactly(chunk, checked(position + done));
                chain.CopyTo(memory, chunk, done);
                done += count;
            }
        }
        catch (IOException)
        {
            _metrics.AddError();
            return Complete(memory, chain, statusOffset, BlockRequestType.StatusIoError, (uint)done);
        }

        _metrics.AddRead(length);
        return Complete(memory, chain, statusOffset, BlockRequestType.StatusOk, length);
    }

    private uint ServeOut(GuestMemory memory, DescriptorChain chain, ulong sector, int statusOffset)
    {
        if (_image.ReadOnly)
        {
            _metrics.AddReadOnlyRejection();
            return Complete(memory, chain, statusOffset, BlockRequestType.StatusIoError, 0);
        }

        var length = chain.ReadableLength - BlockRequestType.HeaderSize;
        if (!IsValidRange(sector, length))
        {
            _metrics.AddError();
            return Complete(memory, chain, statusOffset, BlockRequestType.StatusIoError, 0);
        }

        var position = checked((long)(sector * BlockImage.SectorSize));
        var done = 0L;
        try
        {
            while (done < length)
            {
                var count = (int)Math.Min(ChunkBytes, length - done);
                var chunk = _buffer.AsSpan(0, count);
                // Copy guest data first: the guest may keep changing it, but what reaches the file is this snapshot.
                var copied = chain.CopyFrom(memory, chunk, checked(BlockRequestType.HeaderSize + (int)done));
                if (copied != count)
                {
                    throw new IOException("the readable part of the chain ended early");
                }

                _image.Write(chunk, checked(position + done));
                done += count;
            }
        }
        catch (IOException)
        {
            _metrics.AddError();
            return Complete(memory, chain, statusOffset, BlockRequestType.StatusIoError, 0);
        }

        _metrics.AddWrite(length);
        return Complete(memory, chain, statusOffset, BlockRequestType.StatusOk, 0);
    }

    private uint ServeFlush(GuestMemory memory, DescriptorChain chain, int statusOffset)
    {
        if (!_image.ReadOnly)
        {
            try
            {
                _image.Flush();
            }
            catch (IOException)
            {
                _metrics.AddError();
                return Complete(memory, chain, statusOffset, BlockRequestType.StatusIoError, 0);
            }
        }

        _metrics.AddFlush();
        return Complete(memory, chain, statusOffset, BlockRequestType.StatusOk, 0);
    }

    private uint ServeGetId(GuestMemory memory, DescriptorChain chain, int statusOffset)
    {
        // The id goes into the writable bytes before the status; a shorter buffer gets what fits.
        Span<byte> id = stackalloc byte[BlockRequestType.IdBytes];
        id.Clear();
        _serial.AsSpan().CopyTo(id);
        var count = Math.Min(statusOffset, BlockRequestType.IdBytes);
        var written = chain.CopyTo(memory, id[..count], 0);
        _metrics.AddGetId();
        return Complete(memory, chain, statusOffset, BlockRequestType.StatusOk, (uint)written);
    }

    /// <summary>Whether a data transfer of <paramref name="length"/> bytes at <paramref name="sector"/> is acceptable.</summary>
    private bool IsValidRange(ulong sector, uint length) =>
        length % BlockImage.SectorSize == 0 && _image.Contains(sector, length);

    private static uint Complete(GuestMemory memory, DescriptorChain chain, int statusOffset, byte status, uint dataWritten)
    {
        ReadOnlySpan<byte> value = [status];
        chain.CopyTo(memory, value, statusOffset);
        return checked(dataWritten + 1);
    }
}
