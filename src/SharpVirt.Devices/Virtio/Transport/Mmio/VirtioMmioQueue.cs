using System.Numerics;

namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>One queue's registers as the driver writes them; the transport's lock guards it.</summary>
internal sealed class VirtioMmioQueue(ushort maxSize)
{
    private const ulong DescriptorAlignment = 16;
    private const ulong AvailableAlignment = 2;
    private const ulong UsedAlignment = 4;

    /// <summary>The device's maximum size (QueueNumMax).</summary>
    public ushort MaxSize { get; } = maxSize;

    /// <summary>The size the driver chose (QueueNum, unvalidated until QueueReady). Starts at the maximum.</summary>
    public uint Size { get; set; } = maxSize;

    /// <summary>Descriptor table address.</summary>
    public ulong DescriptorTable { get; set; }

    /// <summary>Driver (available) ring address.</summary>
    public ulong AvailableRing { get; set; }

    /// <summary>Device (used) ring address.</summary>
    public ulong UsedRing { get; set; }

    /// <summary>QueueReady.</summary>
    public bool Ready { get; set; }

    /// <summary>
    /// Whether the driver's values make a usable queue: a power-of-2 size no larger than the maximum and rings
    /// aligned as virtio 1.2 section 2.7 requires. Memory ranges are the device's to check against guest RAM.
    /// </summary>
    public bool IsValid =>
        Size != 0 && Size <= MaxSize && BitOperations.IsPow2(Size)
        && DescriptorTable % DescriptorAlignment == 0
        && AvailableRing % AvailableAlignment == 0
        && UsedRing % UsedAlignment == 0;

    /// <summary>Back to the reset state.</summary>
    public void Reset()
    {
        Size = MaxSize;
        DescriptorTable = 0;
        AvailableRing = 0;
        UsedRing = 0;
        Ready = false;
    }

    /// <summary>The layout handed to the device at activation.</summary>
    public QueueConfig ToConfig() => new(Ready ? (ushort)Size : (ushort)0, DescriptorTable, AvailableRing, UsedRing, Ready);

    /// <summary>Replaces the low (<paramref name="high"/> false) or high 32 bits of <paramref name="address"/>.</summary>
    public static ulong SetHalf(ulong address, uint value, bool high) =>
        high ? (address & 0xffff_ffffUL) | ((ulong)value << 32) : (address & ~0xffff_ffffUL) | value;
}
