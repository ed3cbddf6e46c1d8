using System.Buffers.Binary;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// DISCARD and WRITE_ZEROES (virtio 1.2, section 5.2.6): an array of segments after the header, each copied out and
/// checked against the image and the limits the configuration space advertises before any of them is applied.
/// </summary>
internal static class BlockDiscard
{
    /// <summary>max_discard_seg and max_write_zeroes_seg: segments per request.</summary>
    internal const int MaxSegments = 32;

    /// <summary>max_discard_sectors and max_write_zeroes_sectors: sectors per segment (2 GiB).</summary>
    internal const uint MaxSectors = 1U << 22;

    /// <summary>discard_sector_alignment: 4 KiB, the host file system's block.</summary>
    internal const uint SectorAlignment = 8;

    /// <summary>
    /// Applies the request's segments; returns the status. Discard deallocates; write-zeroes deallocates only when the
    /// segment's unmap flag allows it. Reserved flags (or unmap on a discard) are VIRTIO_BLK_S_UNSUPP.
    /// </summary>
    internal static byte Apply(BlockImage image, GuestMemory memory, DescriptorChain chain, BlockRequest request, byte[] scratch)
    {
        var count = (int)(request.DataLength / BlockRequestType.SegmentSize);
        Span<byte> raw = stackalloc byte[MaxSegments * BlockRequestType.SegmentSize];
        raw = raw[..(count * BlockRequestType.SegmentSize)];
        if (chain.CopyFrom(memory, raw, BlockRequestType.HeaderSize) != raw.Length)
        {
            return BlockRequestType.StatusIoError;
        }

        var discard = request.Operation == BlockOperation.Discard;
        // Check every segment first: a request is applied whole or not at all.
        for (var i = 0; i < count; i++)
        {
            var (sector, sectors, flags) = Segment(raw, i);
            var allowedFlags = discard ? 0 : BlockRequestType.SegmentUnmap;
            if ((flags & ~allowedFlags) != 0)
            {
                return BlockRequestType.StatusUnsupported;
            }

            if (sectors > MaxSectors || !BlockImage.Contains(image.CapacitySectors, sector, (ulong)sectors * BlockImage.SectorSize))
            {
                return BlockRequestType.StatusIoError;
            }
        }

        for (var i = 0; i < count; i++)
        {
            var (sector, sectors, flags) = Segment(raw, i);
            var deallocate = discard || (flags & BlockRequestType.SegmentUnmap) != 0;
            image.Zero((long)sector * BlockImage.SectorSize, (long)sectors * BlockImage.SectorSize, deallocate, scratch);
        }

        return BlockRequestType.StatusOk;
    }

    private static (ulong Sector, uint Sectors, uint Flags) Segment(ReadOnlySpan<byte> raw, int index)
    {
        var s = raw.Slice(index * BlockRequestType.SegmentSize, BlockRequestType.SegmentSize);
        return (BinaryPrimitives.ReadUInt64LittleEndian(s), BinaryPrimitives.ReadUInt32LittleEndian(s[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[12..]));
    }
}
