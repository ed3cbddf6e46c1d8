using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpVirt.Interop;

namespace SharpVirt.Memory;

/// <summary>
/// Guest physical memory: a sorted set of non-overlapping regions, each an anonymous host mapping.
/// Every access is bounds-checked with overflow-safe arithmetic and must fall inside one region;
/// spans handed out must not be kept past the call that asked for them.
/// </summary>
public sealed unsafe partial class GuestMemory : IDisposable
{
    private readonly GuestRegion[] _regions;
    private int _disposed;

    private GuestMemory(GuestRegion[] regions) => _regions = regions;

    /// <summary>The regions, sorted by address.</summary>
    public IReadOnlyList<GuestRegion> Regions => _regions;

    /// <summary>Total bytes of guest RAM.</summary>
    public ulong TotalSize => _regions.Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>Maps anonymous host memory for each (start, size) range. Ranges must be page-aligned and disjoint.</summary>
    public static GuestMemory Create(IEnumerable<(ulong Start, ulong Size)> ranges)
    {
        var sorted = ranges.OrderBy(r => r.Start).ToArray();
        if (sorted.Length == 0)
        {
            throw new GuestMemoryException(GuestMemoryErrorKind.InvalidLayout, "guest memory needs at least one region");
        }

        var regions = new List<GuestRegion>(sorted.Length);
        try
        {
            ulong previousEnd = 0;
            foreach (var (start, size) in sorted)
            {
                if (size == 0 || (start | size) % 4096 != 0 || start < previousEnd || ulong.MaxValue - start < size)
                {
                    throw new GuestMemoryException(GuestMemoryErrorKind.InvalidLayout,
                        $"invalid guest memory region 0x{start:x}+0x{size:x} (empty, unaligned, overlapping or overflowing)");
                }

                var host = LibC.mmap(0, (nuint)size, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
                if (host == LibC.MapFailed)
                {
                    throw new GuestMemoryException(GuestMemoryErrorKind.MapFailed,
                        $"cannot map {size >> 20} MiB of guest memory: {Errno.Describe(Errno.Last)}");
                }

                // Guest RAM must not be duplicated into children we spawn (helpers, tests).
                LibC.madvise(host, (nuint)size, LibC.MADV_DONTFORK);
                LibC.madvise(host, (nuint)size, LibC.MADV_HUGEPAGE);
                regions.Add(new GuestRegion(start, size, host));
                previousEnd = start + size;
            }
        }
        catch
        {
            foreach (var r in regions)
            {
                LibC.munmap(r.HostAddress, (nuint)r.Size);
            }

            throw;
        }

        return new GuestMemory([.. regions]);
    }

    /// <summary>
    /// Guest RAM whose initial contents are a file (a snapshot's memory): each range maps <paramref name="file"/> at its
    /// offset copy-on-write (MAP_PRIVATE), so pages are read when first touched and guest writes never reach the file.
    /// </summary>
    public static GuestMemory MapFile(IEnumerable<(ulong Start, ulong Size, long FileOffset)> ranges, SafeHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var sorted = ranges.OrderBy(r => r.Start).ToArray();
        var regions = new List<GuestRegion>(sorted.Length);
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            ulong previousEnd = 0;
            foreach (var (start, size, offset) in sorted)
            {
                if (size == 0 || (start | size) % PageSize != 0 || offset < 0 || (ulong)offset % PageSize != 0
                    || start < previousEnd || ulong.MaxValue - start < size)
                {
                    throw new GuestMemoryException(GuestMemoryErrorKind.InvalidLayout,
                        $"invalid guest memory region 0x{start:x}+0x{size:x} at file offset {offset}");
                }

                var host = LibC.mmap(0, (nuint)size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_NORESERVE,
                    (int)file.DangerousGetHandle(), offset);
                if (host == LibC.MapFailed)
                {
                    throw new GuestMemoryException(GuestMemoryErrorKind.MapFailed,
                        $"cannot map {size >> 20} MiB of guest memory from the snapshot: {Errno.Describe(Errno.Last)}");
                }

                LibC.madvise(host, (nuint)size, LibC.MADV_DONTFORK);
                regions.Add(new GuestRegion(start, size, host));
                previousEnd = start + size;
            }
        }
        catch
        {
            foreach (var r in regions)
            {
                LibC.munmap(r.HostAddress, (nuint)r.Size);
            }

            throw;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease(); // the mappings hold the file open on their own
            }
        }

        if (regions.Count == 0)
        {
            throw new GuestMemoryException(GuestMemoryErrorKind.InvalidLayout, "guest memory needs at least one region");
        }

        return new GuestMemory([.. regions]);
    }

    /// <summary>Whether [address, address+length) is wholly inside guest RAM (one region).</summary>
    public bool IsValidRange(ulong address, ulong length) => FindRegion(address, length) >= 0;

    /// <summary>
    /// A span over guest bytes [address, address+length). The range must lie in one region.
    /// The caller must not keep the span beyond the current call: the guest can change these bytes at any time.
    /// </summary>
    public Span<byte> GetSpan(ulong address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var index = FindRegion(address, (ulong)length);
        if (index < 0)
        {
            throw OutOfRange(address, (ulong)length);
        }

        var region = _regions[index];
        // SAFETY: FindRegion proved [address, address+length) lies inside this live mapping.
        return new Span<byte>((byte*)region.HostAddress + (address - region.Start), length);
    }

    /// <summary>Copies guest bytes at <paramref name="address"/> into <paramref name="destination"/>.</summary>
    public void Read(ulong address, Span<byte> destination) => GetSpan(address, destination.Length).CopyTo(destination);

    /// <summary>Copies <paramref name="source"/> into guest memory at <paramref name="address"/>.</summary>
    public void Write(ulong address, ReadOnlySpan<byte> source) => source.CopyTo(GetWritableSpan(address, source.Length));

    /// <summary>Reads a little-endian value (a copy: later guest writes do not change it).</summary>
    public T Read<T>(ulong address) where T : unmanaged => MemoryMarshal.Read<T>(GetSpan(address, sizeof(T)));

    /// <summary>Writes a value in host (little-endian) byte order.</summary>
    public void Write<T>(ulong address, T value) where T : unmanaged => MemoryMarshal.Write(GetWritableSpan(address, sizeof(T)), in value);

    /// <summary>Fills [address, address+length) with zero bytes.</summary>
    public void Clear(ulong address, int length) => GetWritableSpan(address, length).Clear();

    /// <summary>
    /// <see cref="GetSpan"/> for a caller that writes the bytes: while a write log runs (a live migration), the range is
    /// logged, since writes from the VMM (unlike the guest's own) are not in KVM's dirty log.
    /// </summary>
    public Span<byte> GetWritableSpan(ulong address, int length)
    {
        var span = GetSpan(address, length);
        _writeLog?.Mark(this, address, (ulong)length);
        return span;
    }

    /// <summary>
    /// Gives the host pages behind [address, address+length) back to the host kernel (madvise MADV_DONTNEED): the
    /// process's RSS shrinks, and the guest reads zeros there if it touches the range again. The range must be
    /// page-aligned and inside one region; returns false (and changes nothing) otherwise or if the kernel refused.
    /// </summary>
    public bool Discard(ulong address, ulong length)
    {
        if (length == 0 || (address | length) % PageSize != 0)
        {
            return false;
        }

        var index = FindRegion(address, length);
        if (index < 0)
        {
            return false;
        }

        var region = _regions[index];
        _writeLog?.Mark(this, address, length); // the bytes become zeros
        return LibC.madvise(region.HostAddress + (nint)(address - region.Start), (nuint)length, LibC.MADV_DONTNEED) == 0;
    }

    /// <summary>
    /// Faults [address, address+length) in now, writable, without changing its bytes (MADV_POPULATE_WRITE): for a
    /// restored guest, whose pages would otherwise each cost a fault (and a copy) when first touched. False if the
    /// range is not page-aligned inside one region or the kernel refused (older than Linux 5.14).
    /// </summary>
    public bool Populate(ulong address, ulong length)
    {
        if (length == 0 || (address | length) % PageSize != 0 || FindRegion(address, length) is var index && index < 0)
        {
            return false;
        }

        var region = _regions[index];
        return LibC.madvise(region.HostAddress + (nint)(address - region.Start), (nuint)length, LibC.MADV_POPULATE_WRITE) == 0;
    }

    /// <summary>The page size guest memory is discarded in.</summary>
    public const ulong PageSize = 4096;

    /// <summary>The host address of a guest range, for the kernel (KVM memory slots) or atomic operations.</summary>
    public nint GetHostAddress(ulong address, ulong length)
    {
        var index = FindRegion(address, length);
        if (index < 0)
        {
            throw OutOfRange(address, length);
        }

        return _regions[index].HostAddress + (nint)(address - _regions[index].Start);
    }

    internal int FindRegion(ulong address, ulong length)
    {
        if (ulong.MaxValue - address < length)
        {
            return -1;
        }

        for (var i = 0; i < _regions.Length; i++)
        {
            if (_regions[i].Contains(address, length))
            {
                return i;
            }
        }

        return -1;
    }

    private static GuestMemoryException OutOfRange(ulong address, ulong length) =>
        ulong.MaxValue - address < length
            ? new GuestMemoryException(GuestMemoryErrorKind.Overflow, $"guest range 0x{address:x}+0x{length:x} overflows")
            : new GuestMemoryException(GuestMemoryErrorKind.OutOfRange, $"guest range 0x{address:x}+0x{length:x} is not inside guest RAM");

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (var r in _regions)
            {
                LibC.munmap(r.HostAddress, (nuint)r.Size);
            }
        }
    }

    /// <summary>Size of <typeparamref name="T"/> in bytes, for callers laying out guest structures.</summary>
    public static int SizeOf<T>() where T : unmanaged => Unsafe.SizeOf<T>();
}
