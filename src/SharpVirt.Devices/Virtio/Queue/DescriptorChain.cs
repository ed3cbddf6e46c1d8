using SharpVirt.Interop;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Queue;

/// <summary>
/// A popped, validated descriptor chain: its head (to hand back with <see cref="Virtqueue.AddUsed"/>) and its
/// buffers, device-readable ones first, then device-writable ones. Every buffer lies inside guest memory.
/// </summary>
public sealed class DescriptorChain
{
    private readonly Descriptor[] _descriptors;

    internal DescriptorChain(ushort head, Descriptor[] descriptors, uint readableLength, uint writableLength)
    {
        Head = head;
        _descriptors = descriptors;
        ReadableLength = readableLength;
        WritableLength = writableLength;
    }

    /// <summary>The head descriptor index, the id the device returns in the used ring.</summary>
    public ushort Head { get; }

    /// <summary>The non-empty buffers in chain order (readable ones before writable ones).</summary>
    public IReadOnlyList<Descriptor> Descriptors => _descriptors;

    /// <summary>Total bytes of the device-readable buffers.</summary>
    public uint ReadableLength { get; }

    /// <summary>Total bytes of the device-writable buffers.</summary>
    public uint WritableLength { get; }

    /// <summary>
    /// Describes, for a vectored read or write straight to or from guest memory, the host ranges behind the chain's
    /// device-writable (or device-readable) part from <paramref name="skip"/> bytes in, covering at most
    /// <paramref name="length"/> bytes and filling at most <paramref name="into"/>.Length entries. Returns how many entries
    /// were filled and how many bytes they cover (less than asked when the part ends or the entries run out). Every range
    /// was checked at pop time to lie in one guest memory region; the host addresses are valid while the memory is.
    /// </summary>
    public (int Count, ulong Bytes) GetHostRanges(GuestMemory memory, bool writable, ulong skip, ulong length, Span<IoVec> into)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var count = 0;
        var bytes = 0UL;
        foreach (var d in _descriptors)
        {
            if (count == into.Length || bytes == length)
            {
                break;
            }

            if (d.DeviceWritable != writable)
            {
                continue;
            }

            if (skip >= d.Length)
            {
                skip -= d.Length;
                continue;
            }

            var take = Math.Min(d.Length - skip, length - bytes);
            into[count++] = new IoVec { Base = memory.GetHostAddress(d.Address + skip, take), Length = (nuint)take };
            if (writable)
            {
                memory.MarkWritten(d.Address + skip, take); // the host writes there behind KVM's dirty log
            }

            bytes += take;
            skip = 0;
        }

        return (count, bytes);
    }

    /// <summary>
    /// Copies device-readable bytes, starting <paramref name="offset"/> bytes into the readable part, into
    /// <paramref name="destination"/>. Returns the number of bytes copied (short when the readable part ends).
    /// </summary>
    public int CopyFrom(GuestMemory memory, Span<byte> destination, int offset)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var copied = 0;
        var skip = (ulong)offset;
        foreach (var d in _descriptors)
        {
            if (d.DeviceWritable || copied == destination.Length)
            {
                break;
            }

            if (skip >= d.Length)
            {
                skip -= d.Length;
                continue;
            }

            var count = (int)Math.Min(d.Length - skip, (ulong)(destination.Length - copied));
            memory.Read(d.Address + skip, destination.Slice(copied, count));
            copied += count;
            skip = 0;
        }

        return copied;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into the device-writable buffers, starting <paramref name="offset"/> bytes
    /// into the writable part. Returns the number of bytes copied (short when the writable part ends).
    /// </summary>
    public int CopyTo(GuestMemory memory, ReadOnlySpan<byte> source, int offset)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var copied = 0;
        var skip = (ulong)offset;
        foreach (var d in _descriptors)
        {
            if (copied == source.Length)
            {
                break;
            }

            if (!d.DeviceWritable)
            {
                continue;
            }

            if (skip >= d.Length)
            {
                skip -= d.Length;
                continue;
            }

            var count = (int)Math.Min(d.Length - skip, (ulong)(source.Length - copied));
            memory.Write(d.Address + skip, source.Slice(copied, count));
            copied += count;
            skip = 0;
        }

        return copied;
    }
}
