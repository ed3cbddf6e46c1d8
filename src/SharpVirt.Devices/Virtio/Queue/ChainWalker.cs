using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Queue;

/// <summary>
/// Gathers and validates one descriptor chain. Each descriptor is copied out of guest memory once and only the
/// copy is validated and used. Chain length is bounded by the queue size (or the indirect table's entry count),
/// so a walk always terminates and allocates at most one entry per descriptor visited.
/// </summary>
internal sealed class ChainWalker
{
    private readonly GuestMemory _memory;
    private readonly ulong _table;
    private readonly ushort _size;
    private readonly bool _indirect;
    private readonly List<Descriptor> _buffers = [];
    private ulong _readable;
    private ulong _writable;
    private bool _seenWritable;

    internal ChainWalker(GuestMemory memory, ulong table, ushort size, bool indirect)
    {
        _memory = memory;
        _table = table;
        _size = size;
        _indirect = indirect;
    }

    /// <summary>Walks the chain starting at <paramref name="head"/> (already checked below the queue size).</summary>
    internal bool TryWalk(ushort head, [NotNullWhen(true)] out DescriptorChain? chain, [NotNullWhen(false)] out QueueError? error)
    {
        chain = null;
        error = Gather(head);
        if (error is not null)
        {
            _buffers.Clear();
            return false;
        }

        chain = new DescriptorChain(head, [.. _buffers], (uint)_readable, (uint)_writable);
        _buffers.Clear();
        return true;
    }

    private QueueError? Gather(ushort head)
    {
        _buffers.Clear();
        _readable = 0;
        _writable = 0;
        _seenWritable = false;

        var index = head;
        for (var count = 1; ; count++)
        {
            if (count > _size)
            {
                return new QueueError(QueueErrorKind.ChainTooLong, $"chain at head {head} is longer than the queue size {_size} (a loop)");
            }

            var raw = ReadDescriptor(_table + ((ulong)index * VirtqLayout.DescriptorSize));
            if ((raw.Flags & VirtqLayout.DescIndirect) != 0)
            {
                var error = WalkIndirect(head, raw);
                if (error is not null)
                {
                    return error;
                }

                break;
            }

            var bufferError = AddBuffer(head, raw);
            if (bufferError is not null)
            {
                return bufferError;
            }

            if ((raw.Flags & VirtqLayout.DescNext) == 0)
            {
                break;
            }

            if (raw.Next >= _size)
            {
                return new QueueError(QueueErrorKind.NextOutOfRange, $"descriptor {index} of head {head}: next {raw.Next} >= queue size {_size}");
            }

            index = raw.Next;
        }

        return null;
    }

    private QueueError? WalkIndirect(ushort head, RawDescriptor table)
    {
        if (!_indirect)
        {
            return new QueueError(QueueErrorKind.IndirectNotNegotiated, $"head {head}: indirect descriptor without VIRTIO_F_RING_INDIRECT_DESC");
        }

        if ((table.Flags & VirtqLayout.DescNext) != 0)
        {
            return new QueueError(QueueErrorKind.IndirectWithNext, $"head {head}: indirect descriptor with NEXT set");
        }

        var entries = table.Length / VirtqLayout.DescriptorSize;
        if (table.Length == 0 || table.Length % VirtqLayout.DescriptorSize != 0 || entries > VirtqLayout.MaxSize)
        {
            return new QueueError(QueueErrorKind.IndirectTableLength,
                $"head {head}: indirect table length {table.Length} is zero, not a multiple of 16 or above {VirtqLayout.MaxSize} entries");
        }

        if (!_memory.IsValidRange(table.Address, table.Length))
        {
            return new QueueError(QueueErrorKind.IndirectTableOutOfRange,
                $"head {head}: indirect table 0x{table.Address:x}+0x{table.Length:x} is outside guest memory");
        }

        uint index = 0;
        for (uint count = 1; ; count++)
        {
            if (count > entries)
            {
                return new QueueError(QueueErrorKind.ChainTooLong, $"head {head}: indirect chain is longer than its table ({entries} entries, a loop)");
            }

            var raw = ReadDescriptor(table.Address + ((ulong)index * VirtqLayout.DescriptorSize));
            if ((raw.Flags & VirtqLayout.DescIndirect) != 0)
            {
                return new QueueError(QueueErrorKind.NestedIndirect, $"head {head}: indirect descriptor {index} inside an indirect table");
            }

            var error = AddBuffer(head, raw);
            if (error is not null)
            {
                return error;
            }

            if ((raw.Flags & VirtqLayout.DescNext) == 0)
            {
                return null;
            }

            if (raw.Next >= entries)
            {
                return new QueueError(QueueErrorKind.NextOutOfRange, $"head {head}: indirect descriptor {index}: next {raw.Next} >= table entries {entries}");
            }

            index = raw.Next;
        }
    }

    private QueueError? AddBuffer(ushort head, RawDescriptor raw)
    {
        var writable = (raw.Flags & VirtqLayout.DescWrite) != 0;
        if (!writable && _seenWritable)
        {
            return new QueueError(QueueErrorKind.ReadableAfterWritable, $"head {head}: a device-readable buffer follows a device-writable one");
        }

        _seenWritable |= writable;
        if (raw.Length == 0)
        {
            return null;
        }

        if (ulong.MaxValue - raw.Address < raw.Length)
        {
            return new QueueError(QueueErrorKind.BufferOverflow, $"head {head}: buffer 0x{raw.Address:x}+0x{raw.Length:x} overflows");
        }

        if (!_memory.IsValidRange(raw.Address, raw.Length))
        {
            return new QueueError(QueueErrorKind.BufferOutOfRange, $"head {head}: buffer 0x{raw.Address:x}+0x{raw.Length:x} is outside guest memory");
        }

        // Each part is capped at uint.MaxValue, so the sums below never overflow a ulong.
        if (writable)
        {
            _writable += raw.Length;
        }
        else
        {
            _readable += raw.Length;
        }

        if (_readable + _writable > uint.MaxValue)
        {
            return new QueueError(QueueErrorKind.TotalLengthOverflow, $"head {head}: total chain length exceeds {uint.MaxValue} bytes");
        }

        _buffers.Add(new Descriptor(raw.Address, raw.Length, writable));
        return null;
    }

    private RawDescriptor ReadDescriptor(ulong address)
    {
        // One copy of the 16 bytes: everything after this works on the copy, never on guest memory.
        Span<byte> bytes = stackalloc byte[VirtqLayout.DescriptorSize];
        _memory.Read(address, bytes);
        return new RawDescriptor(
            BinaryPrimitives.ReadUInt64LittleEndian(bytes),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[12..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[14..]));
    }

    private readonly record struct RawDescriptor(ulong Address, uint Length, ushort Flags, ushort Next);
}
