namespace SharpVirt.Devices.Bus;

/// <summary>
/// Routes guest accesses to devices by address. Ranges never overlap; an access to no device reads as
/// all-ones (like an empty ISA/PCI bus) and writes are dropped and counted.
/// The table is fixed before the vCPUs start, so lookups take no lock.
/// </summary>
public sealed class IoBus(string name)
{
    private readonly List<BusRange> _ranges = [];
    private BusRange[] _sorted = [];
    private long _unhandled;

    /// <summary>"pio" or "mmio", for messages.</summary>
    public string Name { get; } = name;

    /// <summary>Accesses that hit no device.</summary>
    public long UnhandledAccesses => Interlocked.Read(ref _unhandled);

    /// <summary>Places <paramref name="device"/> at [base, base+length).</summary>
    /// <exception cref="ArgumentException">The range is empty or overlaps a device already placed.</exception>
    public void Insert(IBusDevice device, ulong @base, ulong length)
    {
        if (length == 0 || ulong.MaxValue - @base < length - 1)
        {
            throw new ArgumentException($"{Name} bus: invalid range 0x{@base:x}+0x{length:x}", nameof(length));
        }

        var range = new BusRange(@base, length, device);
        foreach (var r in _ranges)
        {
            if (range.Base <= r.Last && r.Base <= range.Last)
            {
                throw new ArgumentException(
                    $"{Name} bus: 0x{@base:x}+0x{length:x} ({device.GetType().Name}) overlaps 0x{r.Base:x}+0x{r.Length:x} ({r.Device.GetType().Name})",
                    nameof(@base));
            }
        }

        _ranges.Add(range);
        _sorted = [.. _ranges.OrderBy(r => r.Base)];
    }

    /// <summary>Dispatches a read; returns false (and fills with 0xff) when no device claims the address.</summary>
    public bool Read(ulong address, Span<byte> data)
    {
        if (TryFind(address, (ulong)data.Length, out var range))
        {
            range.Device.Read(address - range.Base, data);
            return true;
        }

        data.Fill(0xff);
        Interlocked.Increment(ref _unhandled);
        return false;
    }

    /// <summary>Dispatches a write; returns false when no device claims the address.</summary>
    public bool Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (TryFind(address, (ulong)data.Length, out var range))
        {
            range.Device.Write(address - range.Base, data);
            return true;
        }

        Interlocked.Increment(ref _unhandled);
        return false;
    }

    private bool TryFind(ulong address, ulong length, out BusRange found)
    {
        var sorted = _sorted;
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var r = sorted[mid];
            if (address < r.Base)
            {
                hi = mid - 1;
            }
            else if (address > r.Last)
            {
                lo = mid + 1;
            }
            else
            {
                found = r;
                // An access that starts inside a device but runs past its end is not that device's.
                return length == 0 || r.Last - address >= length - 1;
            }
        }

        found = default;
        return false;
    }

    private readonly record struct BusRange(ulong Base, ulong Length, IBusDevice Device)
    {
        public ulong Last => Base + Length - 1;
    }
}
