using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.TestUtils;

/// <summary>
/// The driver side of a split virtqueue laid out in real guest memory: descriptor table, available ring and
/// used ring at fixed addresses (shifted by <see cref="Offset"/> for a device's second queue), data buffers and
/// indirect tables above them.
/// </summary>
public sealed class MockQueue
{
    public const ulong MemorySize = 1 << 20;
    public const ulong DescriptorTable = 0x1000;
    public const ulong AvailRing = 0x4000;
    public const ulong UsedRing = 0x6000;
    public const ulong DataArea = 0x10000;

    private ushort _nextDescriptor;
    private ushort _availIdx;

    /// <summary>The queue for a second (third, ...) device queue: offset 0x8000 keeps its rings below <see cref="DataArea"/>.</summary>
    public const ulong SecondQueueOffset = 0x8000;

    public MockQueue(GuestMemory memory, ushort size = 16, ulong offset = 0)
    {
        Memory = memory;
        Size = size;
        Offset = offset;
    }

    /// <summary>How far this queue's rings sit above the default addresses.</summary>
    public ulong Offset { get; }

    private ulong Desc => DescriptorTable + Offset;

    private ulong Avail => AvailRing + Offset;

    private ulong Used => UsedRing + Offset;

    public GuestMemory Memory { get; }

    public ushort Size { get; }

    public QueueConfig Config => new(Size, Desc, Avail, Used, true);

    public static GuestMemory CreateMemory() => GuestMemory.Create([(0, MemorySize)]);

    public Virtqueue CreateQueue(bool eventIdx = false, bool indirect = false) => new(Memory, Config, eventIdx, indirect);

    public void WriteDescriptor(ulong tableAddress, int index, ulong address, uint length, ushort flags, ushort next)
    {
        var at = tableAddress + ((ulong)index * 16);
        Memory.Write(at, address);
        Memory.Write(at + 8, length);
        Memory.Write(at + 12, flags);
        Memory.Write(at + 14, next);
    }

    public void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next) =>
        WriteDescriptor(Desc, index, address, length, flags, next);

    /// <summary>Writes a direct chain in the next free descriptors and publishes it; returns the head.</summary>
    public ushort AddChain(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        var head = _nextDescriptor;
        for (var i = 0; i < buffers.Length; i++)
        {
            var index = (ushort)((head + i) % Size);
            var last = i == buffers.Length - 1;
            var flags = (ushort)((buffers[i].Writable ? VirtqLayout.DescWrite : 0) | (last ? 0 : VirtqLayout.DescNext));
            WriteDescriptor(index, buffers[i].Address, buffers[i].Length, flags, (ushort)((index + 1) % Size));
        }

        _nextDescriptor = (ushort)((head + buffers.Length) % Size);
        Publish(head);
        return head;
    }

    /// <summary>Writes an indirect table at <paramref name="table"/> and one INDIRECT descriptor, and publishes it.</summary>
    public ushort AddIndirect(ulong table, params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        for (var i = 0; i < buffers.Length; i++)
        {
            var last = i == buffers.Length - 1;
            var flags = (ushort)((buffers[i].Writable ? VirtqLayout.DescWrite : 0) | (last ? 0 : VirtqLayout.DescNext));
            WriteDescriptor(table, i, buffers[i].Address, buffers[i].Length, flags, (ushort)(i + 1));
        }

        return AddRaw(table, (uint)(buffers.Length * 16), VirtqLayout.DescIndirect, 0);
    }

    /// <summary>Writes one descriptor with raw values in the next free slot and publishes it.</summary>
    public ushort AddRaw(ulong address, uint length, ushort flags, ushort next)
    {
        var head = _nextDescriptor;
        WriteDescriptor(head, address, length, flags, next);
        _nextDescriptor = (ushort)((head + 1) % Size);
        Publish(head);
        return head;
    }

    /// <summary>Puts <paramref name="head"/> in the available ring and bumps avail.idx.</summary>
    public void Publish(ushort head)
    {
        Memory.Write(Avail + 4 + (2 * (ulong)(_availIdx % Size)), head);
        _availIdx++;
        Memory.Write(Avail + 2, _availIdx);
    }

    public void SetAvailIdx(ushort value)
    {
        _availIdx = value;
        Memory.Write(Avail + 2, value);
    }

    public void SetAvailFlags(ushort flags) => Memory.Write(Avail, flags);

    public void SetUsedEvent(ushort value) => Memory.Write(Avail + 4 + (2 * (ulong)Size), value);

    public ushort UsedIdx => Memory.Read<ushort>(Used + 2);

    public ushort UsedFlags => Memory.Read<ushort>(Used);

    public ushort AvailEvent => Memory.Read<ushort>(Used + 4 + (8 * (ulong)Size));

    public (uint Id, uint Length) ReadUsed(int slot)
    {
        var at = Used + 4 + (8 * (ulong)(slot % Size));
        return (Memory.Read<uint>(at), Memory.Read<uint>(at + 4));
    }
}
