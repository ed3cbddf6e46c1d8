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
    internal const uint Discard = 11;
    internal const uint WriteZeroes = 13;

    internal const byte StatusOk = 0;
    internal const byte StatusIoError = 1;
    internal const byte StatusUnsupported = 2;

    /// <summary>Size of struct virtio_blk_req's header: le32 type, le32 reserved, le64 sector.</summary>
    internal const int HeaderSize = 16;

    /// <summary>Size of the GET_ID answer (VIRTIO_BLK_ID_BYTES).</summary>
    internal const int IdBytes = 20;

    /// <summary>Size of one discard / write-zeroes segment: le64 sector, le32 num_sectors, le32 flags.</summary>
    internal const int SegmentSize = 16;

    /// <summary>Segment flag VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP: the zeroed range may be deallocated.</summary>
    internal const uint SegmentUnmap = 1;
}

/// <summary>What a parsed request asks for.</summary>
internal enum BlockOperation
{
    /// <summary>No writable byte for a status: handed back empty, nothing else can be said.</summary>
    Drop,
    /// <summary>Answered at once with <see cref="BlockRequest.Status"/>, no I/O.</summary>
    Answer,
    Read,
    Write,
    Flush,
    GetId,
    Discard,
    WriteZeroes,
}

/// <summary>
/// One request, parsed and checked on the loop thread before any I/O: the header is copied out of guest memory
/// once, lengths are bounded and the sector range is inside the image. What cannot be served becomes an
/// <see cref="BlockOperation.Answer"/> with its status (or a <see cref="BlockOperation.Drop"/> without a status byte).
/// </summary>
/// <param name="Operation">What to do.</param>
/// <param name="Sector">First sector (read, write).</param>
/// <param name="DataLength">Bytes of data (read: into the writable part; write, discard, write-zeroes: after the header).</param>
/// <param name="StatusOffset">Where the status byte is in the writable part (its last byte).</param>
/// <param name="Status">The answer of an <see cref="BlockOperation.Answer"/>.</param>
/// <param name="Error">Why the answer is an error (for the counters): none, a driver error or a read-only refusal.</param>
internal readonly record struct BlockRequest(
    BlockOperation Operation, ulong Sector, uint DataLength, int StatusOffset, byte Status, BlockRequestError Error)
{
    /// <summary>The largest data part of one request (1 GiB, far above what Linux sends); larger chains are refused.</summary>
    internal const uint MaxDataBytes = 1U << 30;

    /// <summary>Bytes the request moves, for bandwidth limits (zero for flush and identify).</summary>
    internal long Bytes => Operation is BlockOperation.Read or BlockOperation.Write ? DataLength : 0;

    /// <summary>Parses <paramref name="chain"/> against an image of <paramref name="capacitySectors"/> sectors.</summary>
    internal static BlockRequest Parse(GuestMemory memory, DescriptorChain chain, ulong capacitySectors, bool readOnly, bool discard)
    {
        if (chain.WritableLength == 0)
        {
            return new(BlockOperation.Drop, 0, 0, 0, 0, BlockRequestError.Malformed);
        }

        if (chain.WritableLength - 1 > MaxDataBytes || chain.ReadableLength > MaxDataBytes + BlockRequestType.HeaderSize)
        {
            // Larger than any request the device serves (and than its offsets can express): answered empty.
            return new(BlockOperation.Drop, 0, 0, 0, 0, BlockRequestError.Malformed);
        }

        var statusOffset = (int)(chain.WritableLength - 1);
        if (chain.ReadableLength < BlockRequestType.HeaderSize)
        {
            return Fail(statusOffset, BlockRequestType.StatusIoError, BlockRequestError.Malformed);
        }

        Span<byte> header = stackalloc byte[BlockRequestType.HeaderSize];
        chain.CopyFrom(memory, header, 0);
        var type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        var readable = chain.ReadableLength - BlockRequestType.HeaderSize;
        switch (type)
        {
            case BlockRequestType.In:
                return Transfer(BlockOperation.Read, sector, (uint)statusOffset, statusOffset, capacitySectors);
            case BlockRequestType.Out:
                return readOnly
                    ? Fail(statusOffset, BlockRequestType.StatusIoError, BlockRequestError.ReadOnly)
                    : Transfer(BlockOperation.Write, sector, readable, statusOffset, capacitySectors);
            case BlockRequestType.Flush:
                return new(BlockOperation.Flush, 0, 0, statusOffset, 0, BlockRequestError.None);
            case BlockRequestType.GetId:
                return new(BlockOperation.GetId, 0, 0, statusOffset, 0, BlockRequestError.None);
            case BlockRequestType.Discard or BlockRequestType.WriteZeroes when discard:
                if (readOnly)
                {
                    return Fail(statusOffset, BlockRequestType.StatusIoError, BlockRequestError.ReadOnly);
                }

                if (readable == 0 || readable % BlockRequestType.SegmentSize != 0
                    || readable / BlockRequestType.SegmentSize > BlockDiscard.MaxSegments)
                {
                    return Fail(statusOffset, BlockRequestType.StatusIoError, BlockRequestError.Malformed);
                }

                var operation = type == BlockRequestType.Discard ? BlockOperation.Discard : BlockOperation.WriteZeroes;
                return new(operation, 0, readable, statusOffset, 0, BlockRequestError.None);
            default:
                return Fail(statusOffset, BlockRequestType.StatusUnsupported, BlockRequestError.Unsupported);
        }
    }

    private static BlockRequest Transfer(BlockOperation operation, ulong sector, uint length, int statusOffset, ulong capacitySectors) =>
        length % BlockImage.SectorSize == 0 && BlockImage.Contains(capacitySectors, sector, length)
            ? new(operation, sector, length, statusOffset, 0, BlockRequestError.None)
            : Fail(statusOffset, BlockRequestType.StatusIoError, BlockRequestError.Malformed);

    private static BlockRequest Fail(int statusOffset, byte status, BlockRequestError error) =>
        new(BlockOperation.Answer, 0, 0, statusOffset, status, error);
}

/// <summary>Why a request was answered with an error without I/O.</summary>
internal enum BlockRequestError
{
    None,
    /// <summary>A driver error: no status byte, short header, bad length or range.</summary>
    Malformed,
    /// <summary>A write (or discard) to a read-only disk.</summary>
    ReadOnly,
    /// <summary>An unknown request type (VIRTIO_BLK_S_UNSUPP, not counted as an error).</summary>
    Unsupported,
}
